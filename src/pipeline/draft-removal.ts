import type { PipelineDeps } from './deps.ts';
import type { RemovalCheck } from './jobs.ts';
import { traceCarrier } from '../telemetry.ts';

/**
 * A draft leaving Drafts is not yet a rejection. Sending moves the draft to Sent Items, and Graph
 * reports that as `deleted` to the Drafts subscription and `created` to the Sent Items one, in no
 * guaranteed order (Gmail likewise: the draft's message is deleted, a SENT one added, in separate
 * history records). So a removal waits `mail.draftRemovalGrace`, then looks the message up: by its
 * immutable id (Graph keeps it through the move; Microsoft: the sent copy may appear only after a
 * while) and by the request id property/header. Found and no longer a draft: sent (approval).
 * Otherwise: rejected. The check job carries ids only; the mailbox is found again from the Graph
 * subscription or the Gmail mailbox reference, never carried as an address.
 */
export const CONFIRM_REMOVAL = 'confirm-removal';

export type RemovalWhere = RemovalCheck['where'];

type ScheduleDeps = Pick<PipelineDeps, 'queues' | 'policy'>;

/** Asks for the check after the grace period; a repeated notification finds the same job id. */
export async function scheduleRemovalCheck(
  deps: ScheduleDeps,
  requestId: string,
  messageId: string,
  where: RemovalWhere,
): Promise<void> {
  const check: RemovalCheck = { requestId, messageId, where, ...traceCarrier() };
  await deps.queues['mail-events'].add(CONFIRM_REMOVAL, check, {
    jobId: `${requestId}.removal`,
    delay: deps.policy.mail.draftRemovalGrace,
  });
}

type CheckDeps = Pick<PipelineDeps, 'requests' | 'mail' | 'watch' | 'history' | 'logger'>;

export type RemovalOutcome =
  | { kind: 'settled' }
  | { kind: 'sent'; messageId: string; mailbox: string; body?: string }
  | { kind: 'deleted'; mailbox?: string };

/** What became of the draft: already settled (the `sent` notification came), sent, or really deleted. */
export async function checkRemoval(deps: CheckDeps, check: RemovalCheck): Promise<RemovalOutcome> {
  const record = await deps.requests.get(check.requestId);
  if (record?.state !== 'awaiting_review') return { kind: 'settled' };
  const mailbox = await mailboxOf(deps, check.where);
  if (!mailbox) {
    // The subscription or the watch is gone: nothing left to ask; the removal stands.
    deps.logger.warn(
      { requestId: check.requestId, via: check.where.via },
      'draft removal: mailbox no longer watched, cannot look in Sent Items; recording the rejection',
    );
    return { kind: 'deleted' };
  }
  const byId = check.where.via === 'outlook' ? await deps.mail.getMessage(mailbox, check.messageId) : null;
  if (byId && !byId.isDraft && byId.requestId === check.requestId) {
    return {
      kind: 'sent',
      messageId: byId.id,
      mailbox,
      ...(byId.body !== undefined ? { body: byId.body } : {}),
    };
  }
  const found = await deps.mail.findByRequestId(mailbox, check.requestId);
  if (found && !found.isDraft) {
    const full = await deps.mail.getMessage(mailbox, found.id).catch(() => null);
    return {
      kind: 'sent',
      messageId: found.id,
      mailbox,
      ...(full?.body !== undefined ? { body: full.body } : {}),
    };
  }
  return { kind: 'deleted', mailbox };
}

async function mailboxOf(deps: CheckDeps, where: RemovalWhere): Promise<string | null> {
  if (where.via === 'outlook') return (await deps.watch?.subscription(where.subscriptionId))?.mailbox ?? null;
  return (await deps.history?.address?.(where.mailboxRef)) ?? null;
}
