import { z } from 'zod';
import { Language } from '../policy.ts';
import { CrmOwner } from '../ports.ts';
import { OfferedSlots } from './slot-offer.ts';

/**
 * What the stages keep in the vault per request, one schema per section: written by one stage,
 * parsed on read by the next (PseudonymVault.get takes the schema).
 */

/** intake → draft: the flow's logical fields as read from the CRM (opt-out removed). */
export const VaultContact = z.object({ properties: z.record(z.string(), z.string().nullable()) });
export type VaultContact = z.infer<typeof VaultContact>;

/** intake → draft, deliver: the owner as the CRM knows them. */
export const VaultOwner = CrmOwner;
export type VaultOwner = CrmOwner;

/** draft → deliver: the finished, re-identified draft. */
export const VaultDraft = z.object({
  to: z.array(z.object({ address: z.string(), name: z.string().optional() })),
  subject: z.string(),
  body: z.string(),
  language: Language,
  /** Set when the plain template made the draft (LLM down, unusable answer, content filter). */
  template: z.boolean(),
});
export type VaultDraft = z.infer<typeof VaultDraft>;

/** draft → booking: the slots the draft offered (times only, no personal data). */
export const VaultSlots = OfferedSlots;
export type VaultSlots = OfferedSlots;

export const VAULT_SECTIONS = {
  contact: VaultContact,
  owner: VaultOwner,
  draft: VaultDraft,
  slots: VaultSlots,
} as const;
export type VaultSection = keyof typeof VAULT_SECTIONS;
