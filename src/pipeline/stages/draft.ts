import { RequestNotFound } from '../../errors.ts';
import type { PipelineDeps } from '../deps.ts';
import { planDraft } from '../draft-plan.ts';
import { draftWithLlm } from '../llm-draft.ts';
import { pickLanguage } from '../prompts.ts';
import { offerSlots } from '../slot-offer.ts';
import { VaultContact, VaultOwner, type VaultDraft, type VaultSlots } from '../vault-sections.ts';

/**
 * Stage 2 (draft): plan (special categories, route, salutation, pseudonymised prompt), ask the LLM
 * (or fall back to the plain template when it cannot help), append the AI-transparency notice, keep
 * the draft in the vault and move the request on. The decisions live in draft-plan.ts and
 * llm-draft.ts; this function only reads, acts on their verdicts and records.
 */
export type DraftResult = 'next' | 'done' | 'crm-note';

export type ComposeDraftDeps = Pick<PipelineDeps, 'policy' | 'logger' | 'llm' | 'vault' | 'requests' | 'prompts' | 'circuit' | 'calendar' | 'now'>;

export async function composeDraft(deps: ComposeDraftDeps, requestId: string, lastAttempt: boolean): Promise<DraftResult> {
  const { policy, vault, requests, prompts } = deps;
  const record = await requests.get(requestId);
  if (!record) throw new RequestNotFound(requestId);
  if (record.state === 'drafted') return 'next';
  if (record.state !== 'fetched') return 'done';

  const flow = policy.flows[record.flow]!;
  const contact = await vault.get(requestId, 'contact', VaultContact);
  const owner = await vault.get(requestId, 'owner', VaultOwner);
  if (!contact || !owner) {
    await requests.transition(requestId, 'failed', { actor: 'draft', details: { reason: 'vault_expired' } }, { reason: 'vault_expired' });
    return 'crm-note';
  }

  // Slots from the owner's calendar and the contact's wishes, read from the raw note here, locally.
  const p = contact.properties;
  const offer = await offerSlots({ ...deps, holdSubject: (language) => prompts.wording(language).slots.hold_subject }, {
    mailbox: owner.email,
    note: [p.callback_note, p.message].filter(Boolean).join('\n'),
    language: pickLanguage(p.language, policy.defaults.language),
    contactTimeZone: p.timezone,
    requestId,
  });
  const plan = planDraft({ contact, owner, flow, policy, template: prompts.get(flow.template), wording: (language) => prompts.wording(language), slots: offer.texts });
  if (plan.kind === 'blocked') {
    const categories = plan.categories.join(',');
    await requests.transition(requestId, 'blocked_sensitive', { actor: 'draft', details: { categories } }, { reason: 'special_category', categories });
    return 'crm-note';
  }
  const { route, language } = plan;
  const llm = await draftWithLlm(deps, plan.prompt, { requestId, route, language, allowedLinks: policy.mail.allowedLinks, lastAttempt });
  if (llm.kind === 'leak_blocked') {
    await requests.transition(requestId, 'failed', { actor: 'draft', details: { reason: 'leak_guard', types: llm.types.join(',') } }, { reason: 'leak_guard' });
    return 'crm-note';
  }

  // The rep still gets something to review, clearly marked as the plain template.
  const draft = llm.kind === 'drafted' ? llm : plan.fallback;
  const templateReason = llm.kind === 'template' ? llm.reason : undefined;
  const body = `${draft.body.trim()}\n\n-- \n${policy.mail.transparencyNotice[language] ?? ''}`.trim();
  await vault.put(requestId, 'slots', offer satisfies VaultSlots);
  await vault.put(requestId, 'draft', { to: plan.to, subject: draft.subject, body, language, template: templateReason !== undefined } satisfies VaultDraft);
  await requests.transition(
    requestId,
    'drafted',
    { actor: 'draft', details: { route, language, template: templateReason ?? null, sensitive: plan.sensitive, slots: offer.slots.length, slotSource: offer.source } },
    { route, language, ...(templateReason ? { templateFallback: templateReason } : {}), ...(offer.slots.length ? { slots: offer.slots.map((s) => `${s.start}/${s.end}`).join(' '), slotZone: offer.timeZone } : {}) },
  );
  return 'next';
}
