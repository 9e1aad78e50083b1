import type { AuditTrail } from '../audit/trail.ts';
import type { CrmFieldMaps } from '../crm-fields.ts';
import type { Logger } from '../logger.ts';
import type { Policy } from '../policy.ts';
import type {
  GraphSubscriptionPort,
  HistoryWatcher,
  MailboxWatcher,
  PolledWatcher,
  Ports,
} from '../ports.ts';
import type { SuppressionList } from '../privacy/suppression.ts';
import type { PseudonymVault } from '../privacy/vault.ts';
import type { LlmCircuit } from './llm-circuit.ts';
import type { MailWatch } from './mail-watch.ts';
import type { PromptLibrary } from './prompts.ts';
import type { StageQueues } from './queues.ts';
import type { RequestStore } from './request-state.ts';

/** The reviewers' mail application, as CRM notes name it. */
export type MailApp = 'Outlook' | 'Gmail';

/**
 * What the stages need, built once per worker process (see workers/index.ts). Each stage declares the
 * part it uses (`Pick<PipelineDeps, …>`), so a test builds only that.
 */
export interface PipelineDeps extends Ports {
  policy: Policy;
  logger: Logger;
  audit: AuditTrail;
  /** To chain the next stage (crm-sync notes, mail events). */
  queues: StageQueues;
  crmFields: CrmFieldMaps;
  vault: PseudonymVault;
  requests: RequestStore;
  suppression: SuppressionList;
  prompts: PromptLibrary;
  circuit: LlmCircuit;
  /** Graph change notifications (approval, rejection, reply); absent when no notification URL is set. */
  watch?: MailWatch | undefined;
  /** Graph's subscriptions and delta (present with Graph only). */
  graph?: GraphSubscriptionPort | undefined;
  /** The chosen mailbox system's approval loop (Graph's MailWatch or Gmail's watch + history). */
  approvals?: MailboxWatcher | undefined;
  /** Where the reps review drafts, as the CRM notes name it. */
  mailApp: MailApp;
  /** Gmail's watch + history reader (present with Gmail only). */
  history?: HistoryWatcher | undefined;
  /** Exchange's pull subscriptions, read by the mail-events stage's poll job (present with EWS only). */
  polled?: PolledWatcher | undefined;
  /** The clock for slot computation (tests); the system clock when absent. */
  now?: (() => Date) | undefined;
}
