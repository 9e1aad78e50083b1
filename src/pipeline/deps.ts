import type { AppContext } from '../app.ts';
import type { CrmPort, GraphSubscriptionPort, LlmPort, MailboxWatcher, MailPort } from '../ports.ts';
import type { PseudonymVault } from '../privacy/vault.ts';
import type { LlmCircuit } from './llm-circuit.ts';
import type { MailWatch } from './mail-watch.ts';
import type { PromptLibrary } from './prompts.ts';
import type { RequestStore } from './request-state.ts';

/** What the stages need; built once per worker process (see workers/index.ts). */
export interface PipelineDeps {
  ctx: AppContext;
  crm: CrmPort;
  mail: MailPort;
  llm: LlmPort;
  vault: PseudonymVault;
  requests: RequestStore;
  prompts: PromptLibrary;
  circuit: LlmCircuit;
  /** Graph change notifications (approval, rejection, reply); absent when no notification URL is set. */
  watch?: MailWatch | undefined;
  /** Graph's subscriptions and delta (present with Graph only). */
  graph?: GraphSubscriptionPort | undefined;
  /** The chosen mailbox system's approval loop (Graph's MailWatch or Gmail's watch + history). */
  approvals?: MailboxWatcher | undefined;
}

/** Personal data the intake stage puts in the vault for the later stages. */
export interface VaultContact {
  properties: Record<string, string | null>;
}
export interface VaultOwner {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
}
export interface VaultDraft {
  to: { address: string; name?: string }[];
  subject: string;
  body: string;
  language: 'de' | 'en';
  /** Set when the plain template made the draft (LLM down, unusable answer, content filter). */
  template: boolean;
}
