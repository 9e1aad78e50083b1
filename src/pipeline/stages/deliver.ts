import { RequestNotFound } from '../../errors.ts';
import type { OutgoingMail } from '../../ports.ts';
import { StageBusy, type RequestRecord } from '../request-state.ts';
import type { PipelineDeps } from '../deps.ts';
import { EditTracker } from '../edit-tracking.ts';
import { settle } from '../settled.ts';
import { VaultDraft, VaultOwner } from '../vault-sections.ts';
import { StageJob } from '../jobs.ts';
import { isFirstAttempt, type StageDefinition } from '../stage-runner.ts';
import type { Policy } from '../../policy.ts';

/**
 * Stage 3 (deliver): `review` puts the draft into the owner's mailbox; `auto` (only for flows the
 * policy marks so) sends it with sendMail. Before creating or sending, the message is looked up by
 * its request-id property, so a retry after a crash never makes a second draft or e-mail. On a job's
 * first attempt of a request never reopened nothing can exist yet, so the look-up is skipped: one
 * mailbox call per draft instead of two.
 */
/**
 * The lease lasts as long as the job's lock: a worker that dies holding both frees the lease when the
 * stalled-job check hands the job to another worker, so recovery after a crash is not delayed.
 */
const DEFAULT_LEASE_MS = 60_000;

export type DeliverDraftDeps = Pick<
  PipelineDeps,
  'policy' | 'logger' | 'mail' | 'vault' | 'requests' | 'watch' | 'approvals'
>;

export interface DeliverAttempt {
  /** The job's first run (not a retry, not picked up again after a crash): see isFirstAttempt. */
  firstAttempt: boolean;
  /** How long this run holds the request's deliver lease: the worker's job lock duration. */
  leaseMs?: number;
}

export async function deliverDraft(
  deps: DeliverDraftDeps,
  requestId: string,
  attempt: DeliverAttempt = { firstAttempt: false },
): Promise<'next' | 'done'> {
  const { policy, vault, requests } = deps;
  // The record and the vault in one round trip (the store connection pipelines what goes out in
  // the same tick); the vault's answer counts only once the record says the stage is due.
  const [record, sections] = await Promise.all([
    requests.get(requestId),
    settle(vault.getMany(requestId, { draft: VaultDraft, owner: VaultOwner })),
  ]);
  if (!record) throw new RequestNotFound(requestId);
  if (record.state === 'awaiting_review' || record.state === 'sent') return 'next';
  if (record.state !== 'drafted') return 'done';

  const flow = policy.flows[record.flow]!;
  const { draft, owner } = sections.unwrap();
  if (!draft || !owner) {
    await requests.transition(requestId, 'failed', {
      actor: 'deliver',
      details: { reason: 'vault_expired' },
      facts: { reason: 'vault_expired' },
      seen: record,
    });
    return 'next';
  }
  const outgoing = {
    mailbox: owner.email,
    to: draft.to,
    subject: draft.subject,
    body: draft.body,
    contentType: 'text' as const,
    categories: [draft.template ? policy.mail.templateCategory : policy.mail.reviewCategory],
    requestId,
  };

  // One run at a time creates or sends: a second run of the same job (started again while this one
  // still runs) retries later and then finds the draft by its request id.
  const release = await requests.lease(requestId, 'deliver', attempt.leaseMs ?? DEFAULT_LEASE_MS);
  if (!release) throw new StageBusy(requestId, 'deliver');
  try {
    await deliverOnce(deps, { record, outgoing, draft, delivery: flow.delivery }, attempt);
  } finally {
    await release();
  }
  return 'next';
}

/** What one delivery needs: the request as read, the mail to make, the draft as kept in the vault. */
interface Delivery {
  record: RequestRecord;
  outgoing: OutgoingMail;
  draft: VaultDraft;
  delivery: 'review' | 'auto';
}

async function deliverOnce(
  deps: DeliverDraftDeps,
  { record, outgoing, draft, delivery }: Delivery,
  attempt: DeliverAttempt,
): Promise<void> {
  const { policy, mail, vault, requests } = deps;
  const { requestId } = record;
  const owner = { email: outgoing.mailbox };
  // A reopened request (an operator's retry of a dead letter) may have a draft from its earlier run.
  const mayExist = !attempt.firstAttempt || record.reopened !== undefined;
  const existing = mayExist ? await mail.findByRequestId(owner.email, requestId) : null;
  if (delivery === 'auto') {
    if (!existing) await mail.sendMail(outgoing);
    else if (existing.isDraft) await mail.sendDraft(owner.email, existing.id);
    await requests.transition(requestId, 'sent', {
      actor: 'deliver',
      details: { mode: 'auto', reused: existing !== null },
      facts: existing ? { messageId: existing.id } : {},
      seen: record,
    });
    return;
  }
  const ref = existing ?? (await mail.createDraft(outgoing));
  // Kept (encrypted, under the request's retention) to measure the rep's edits once it is sent, and
  // the draft linked to the request for the mailbox's notifications: both before the state moves (a
  // retry after it would not come back here), sent together (one round trip).
  const approvals = deps.approvals ?? deps.watch;
  await Promise.all([
    new EditTracker(vault, policy).keep(requestId, {
      body: draft.body,
      flow: record.flow,
      language: draft.language,
    }),
    approvals?.link(requestId, ref),
  ]);
  // Watch the mailbox so sending (approval) or deleting (rejection) the draft comes back to us.
  if (approvals) {
    // The draft is there either way; a failed subscription is retried with the mailbox's next draft.
    await approvals
      .ensure(owner.email)
      .catch((err: Error) =>
        deps.logger.warn(
          { requestId, err: { name: err.name, message: err.message } },
          'could not subscribe to the mailbox; approvals will not be tracked until the next draft',
        ),
      );
  }
  await requests.transition(requestId, 'awaiting_review', {
    actor: 'deliver',
    details: { mode: 'review', reused: existing !== null },
    facts: { messageId: ref.id },
    seen: record,
  });
}

/** deliver: the draft into the owner's Outlook (review) or sent via Graph (auto), exactly once. */
export function deliverStage(policy: Policy, lockDurationMs = DEFAULT_LEASE_MS): StageDefinition<'deliver'> {
  return {
    queue: 'deliver',
    // Graph allows 4 concurrent requests per mailbox; the connector enforces it per mailbox.
    concurrency: policy.limits.graph.mailboxConcurrency,
    run: (deps, job) =>
      deliverDraft(deps, StageJob.parse(job.data).requestId, {
        firstAttempt: isFirstAttempt(job),
        leaseMs: lockDurationMs,
      }),
  };
}
