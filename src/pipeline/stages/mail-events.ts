import type { PipelineDeps } from '../deps.ts';
import type { MailboxChange } from '../../ports.ts';
import { traceCarrier } from '../../telemetry.ts';
import { bookFromReply } from '../booking.ts';
import { EditTracker } from '../edit-tracking.ts';
import { releaseHolds } from '../slot-offer.ts';
import { GmailPush, MailEvent, RemovalCheck } from '../jobs.ts';
import { CONFIRM_REMOVAL, checkRemoval, scheduleRemovalCheck, type RemovalWhere } from '../draft-removal.ts';
import type { StageDefinition } from '../stage-runner.ts';

/**
 * The mailbox is where the reviewer decides: sending the draft is the approval, deleting it the
 * rejection, and a reply from the lead in the same conversation becomes a note. Each mailbox system's
 * watcher turns its notifications into MailboxChanges; `applyMailboxChange` moves the request's state
 * and has the CRM told. It is idempotent: notifications arrive at least once.
 */
export type MailboxSystem = 'outlook' | 'gmail' | 'exchange';

export type ApplyChangeDeps = Pick<
  PipelineDeps,
  'audit' | 'queues' | 'requests' | 'vault' | 'policy' | 'calendar' | 'mail' | 'prompts'
> &
  Partial<Pick<PipelineDeps, 'llm' | 'now'>>;

/**
 * `where` (the Graph subscription or Gmail mailbox reference) makes a `deleted` wait for the removal
 * check (src/pipeline/draft-removal.ts): a sent draft also leaves Drafts. Without it, a `deleted` is final.
 */
export async function applyMailboxChange(
  deps: ApplyChangeDeps,
  change: MailboxChange,
  via: MailboxSystem,
  where?: RemovalWhere,
): Promise<void> {
  const { audit, requests } = deps;
  const crmSync = deps.queues['crm-sync'];
  const record = await requests.get(change.requestId);
  if (!record) return;
  if (change.kind === 'reply') {
    // A reply that names one offered slot books it; any other reply stays a note for the rep.
    // A second notification of the same reply finds the request booked; its note job id is the same.
    const booking =
      change.mailbox !== undefined
        ? await bookFromReply(deps, record, change.mailbox, change.messageId)
        : 'no_calendar';
    await audit.append({
      type: 'request.replied',
      requestId: record.requestId,
      subject: record.subject,
      actor: 'lead',
      outcome: 'replied',
      details: { booking },
    });
    // What became of the reply (a code) tells the rep what is left to do: the note words it.
    await crmSync.add(
      'crm-sync',
      { requestId: record.requestId, event: 'reply', reply: booking, ...traceCarrier() },
      { jobId: `${record.requestId}.reply.${change.messageId.slice(-24).replace(/[^A-Za-z0-9_-]/g, '')}` },
    );
    return;
  }
  if (record.state !== 'awaiting_review') return;
  if (change.kind === 'deleted' && where)
    return scheduleRemovalCheck(deps, record.requestId, change.messageId, where);
  // How much the rep changed the draft: the ratio goes to the audit and the metric, the text nowhere.
  const tracker = new EditTracker(deps.vault, deps.policy);
  if (change.kind === 'sent') {
    const edit =
      change.body !== undefined
        ? await tracker.measure(record.requestId, change.body)
        : (await tracker.forget(record.requestId), null);
    await requests.transition(record.requestId, 'sent', {
      actor: 'reviewer',
      details: { via: `${via}_send`, ...(edit ? { editRatio: Math.round(edit.ratio * 1000) / 1000 } : {}) },
      facts: { messageId: change.messageId },
      seen: record,
    });
    await crmSync.add(
      'crm-sync',
      { requestId: record.requestId, ...traceCarrier() },
      { jobId: `${record.requestId}.sent` },
    );
  } else {
    if (change.mailbox !== undefined) await releaseHolds(deps.calendar, change.mailbox, record.requestId);
    await requests.transition(record.requestId, 'rejected', {
      actor: 'reviewer',
      details: { via: `${via}_delete` },
      seen: record,
    });
    await tracker.forget(record.requestId);
    await crmSync.add(
      'crm-sync',
      { requestId: record.requestId, ...traceCarrier() },
      { jobId: `${record.requestId}.rejected` },
    );
  }
}

/** Graph change notifications (src/pipeline/mail-watch.ts) → MailboxChange. */
export type TrackMailDeps = Pick<
  PipelineDeps,
  'audit' | 'queues' | 'mail' | 'requests' | 'watch' | 'graph' | 'vault' | 'policy' | 'calendar' | 'prompts'
>;

export async function trackMail(deps: TrackMailDeps, event: MailEvent): Promise<void> {
  const { audit, mail } = deps;
  const watch = deps.watch;
  if (!watch) return;

  if (event.lifecycleEvent) {
    await audit.append({
      type: 'graph.lifecycle',
      actor: 'graph',
      outcome: event.lifecycleEvent,
      details: { subscriptionId: event.subscriptionId },
    });
    if (event.lifecycleEvent === 'reauthorizationRequired') await watch.renew(event.subscriptionId);
    else if (event.lifecycleEvent === 'subscriptionRemoved') await watch.forget(event.subscriptionId);
    else await resync(deps, event.subscriptionId);
    return;
  }
  const sub = await watch.subscription(event.subscriptionId);
  if (!sub || !event.messageId) return;

  if (sub.folder === 'drafts' && event.changeType === 'deleted') {
    const requestId = await watch.requestForMessage(event.messageId);
    const where = { via: 'outlook' as const, subscriptionId: event.subscriptionId };
    if (requestId)
      await applyMailboxChange(
        deps,
        { requestId, kind: 'deleted', messageId: event.messageId, mailbox: sub.mailbox },
        'outlook',
        where,
      );
    return;
  }

  const message = await mail.getMessage(sub.mailbox, event.messageId);
  if (!message) return;
  if (sub.folder === 'sentitems') {
    if (message.requestId)
      await applyMailboxChange(
        deps,
        {
          requestId: message.requestId,
          kind: 'sent',
          messageId: message.id,
          ...(message.body !== undefined ? { body: message.body } : {}),
        },
        'outlook',
      );
  } else if (sub.folder === 'inbox' && message.conversationId) {
    const requestId = await watch.requestForConversation(message.conversationId);
    if (requestId)
      await applyMailboxChange(
        deps,
        { requestId, kind: 'reply', messageId: message.id, mailbox: sub.mailbox },
        'outlook',
      );
  }
}

/** Graph missed notifications: walk Sent Items with a delta query and treat each message as new. */
async function resync(deps: TrackMailDeps, subscriptionId: string): Promise<void> {
  const sub = await deps.watch!.subscription(subscriptionId);
  if (!sub || sub.folder !== 'sentitems' || !deps.graph) return;
  const { messages } = await deps.graph.delta(sub.mailbox, 'sentitems');
  for (const m of messages) {
    if (!m.removed)
      await trackMail(deps, {
        subscriptionId,
        changeType: 'created',
        messageId: m.id,
        receivedAt: Date.now(),
      });
  }
}

/** After the grace period: the draft was sent after all (approval) or is really gone (rejection). */
async function confirmRemoval(
  deps: TrackMailDeps & Pick<PipelineDeps, 'history' | 'logger'>,
  check: RemovalCheck,
): Promise<void> {
  const outcome = await checkRemoval(deps, check);
  const via = check.where.via;
  if (outcome.kind === 'sent') {
    const { messageId, mailbox, body } = outcome;
    await applyMailboxChange(
      deps,
      {
        requestId: check.requestId,
        kind: 'sent',
        messageId,
        mailbox,
        ...(body !== undefined ? { body } : {}),
      },
      via,
    );
  } else if (outcome.kind === 'deleted') {
    await applyMailboxChange(
      deps,
      {
        requestId: check.requestId,
        kind: 'deleted',
        messageId: check.messageId,
        ...(outcome.mailbox ? { mailbox: outcome.mailbox } : {}),
      },
      via,
    );
  }
}

/**
 * mail-events: the mailbox's approval (sent), rejection (deleted) and the lead's reply. Graph
 * notifications go through trackMail; Gmail pushes (`gmail-push`) through the Gmail watch's
 * history reading. Renewals: Graph subscriptions hourly, Gmail watches daily.
 */
export const RENEW_SUBSCRIPTIONS = 'renew-subscriptions';
export const GMAIL_PUSH = 'gmail-push';
export const RENEW_GMAIL_WATCH = 'renew-gmail-watch';
/** Exchange (EWS): read the pull subscriptions' events (every EWS_POLL_INTERVAL_MS). */
export const EWS_POLL = 'ews-poll';

export function mailEventsStage(): StageDefinition<'mail-events'> {
  return {
    queue: 'mail-events',
    concurrency: 4,
    run: async (deps, job) => {
      if (job.name === RENEW_SUBSCRIPTIONS) await deps.watch?.renewDue();
      else if (job.name === RENEW_GMAIL_WATCH) await deps.history?.renewAll();
      else if (job.name === EWS_POLL)
        await deps.polled?.pollAll((change) => applyMailboxChange(deps, change, 'exchange'));
      else if (job.name === GMAIL_PUSH) {
        const gmail = deps.history;
        if (!gmail) return 'done';
        const push = GmailPush.parse(job.data);
        const where = { via: 'gmail' as const, mailboxRef: push.mailboxRef };
        for (const change of await gmail.changes(push.mailboxRef, push.historyId))
          await applyMailboxChange(deps, change, 'gmail', where);
      } else if (job.name === CONFIRM_REMOVAL) await confirmRemoval(deps, RemovalCheck.parse(job.data));
      else await trackMail(deps, MailEvent.parse(job.data));
      return 'done';
    },
  };
}
