import type { MailEvent } from '../jobs.ts';
import type { PipelineDeps } from '../deps.ts';
import type { MailboxChange } from '../../ports.ts';
import { traceCarrier } from '../../telemetry.ts';
import { bookFromReply } from '../booking.ts';
import { EditTracker } from '../edit-tracking.ts';
import { releaseHolds } from '../slot-offer.ts';

/**
 * The mailbox is where the reviewer decides: sending the draft is the approval, deleting it the
 * rejection, and a reply from the lead in the same conversation becomes a note. Each mailbox system's
 * watcher turns its notifications into MailboxChanges; `applyMailboxChange` moves the request's state
 * and has the CRM told. It is idempotent: notifications arrive at least once.
 */
export type MailboxSystem = 'outlook' | 'gmail';

export type ApplyChangeDeps = Pick<PipelineDeps, 'audit' | 'queues' | 'requests' | 'vault' | 'policy' | 'calendar' | 'mail' | 'prompts'> &
  Partial<Pick<PipelineDeps, 'llm' | 'now'>>;

export async function applyMailboxChange(deps: ApplyChangeDeps, change: MailboxChange, via: MailboxSystem): Promise<void> {
  const { audit, requests } = deps;
  const crmSync = deps.queues['crm-sync'];
  const record = await requests.get(change.requestId);
  if (!record) return;
  if (change.kind === 'reply') {
    // A reply that names one offered slot books it; any other reply stays a note for the rep.
    // A second notification of the same reply finds the request booked; its note job id is the same.
    const booking = change.mailbox !== undefined ? await bookFromReply(deps, record, change.mailbox, change.messageId) : 'no_calendar';
    await audit.append({ type: 'request.replied', requestId: record.requestId, subject: record.subject, actor: 'lead', outcome: 'replied', details: { booking } });
    // What became of the reply (a code) tells the rep what is left to do: the note words it.
    await crmSync.add('crm-sync', { requestId: record.requestId, event: 'reply', reply: booking, ...traceCarrier() }, { jobId: `${record.requestId}.reply.${change.messageId.slice(-24).replace(/[^A-Za-z0-9_-]/g, '')}` });
    return;
  }
  if (record.state !== 'awaiting_review') return;
  // How much the rep changed the draft: the ratio goes to the audit and the metric, the text nowhere.
  const tracker = new EditTracker(deps.vault, deps.policy);
  if (change.kind === 'sent') {
    const edit = change.body !== undefined ? await tracker.measure(record.requestId, change.body) : (await tracker.forget(record.requestId), null);
    await requests.transition(record.requestId, 'sent', { actor: 'reviewer', details: { via: `${via}_send`, ...(edit ? { editRatio: Math.round(edit.ratio * 1000) / 1000 } : {}) } }, { messageId: change.messageId }, record);
    await crmSync.add('crm-sync', { requestId: record.requestId, ...traceCarrier() }, { jobId: `${record.requestId}.sent` });
  } else {
    if (change.mailbox !== undefined) await releaseHolds(deps.calendar, change.mailbox, record.requestId);
    await requests.transition(record.requestId, 'rejected', { actor: 'reviewer', details: { via: `${via}_delete` } }, {}, record);
    await tracker.forget(record.requestId);
    await crmSync.add('crm-sync', { requestId: record.requestId, ...traceCarrier() }, { jobId: `${record.requestId}.rejected` });
  }
}

/** Graph change notifications (src/pipeline/mail-watch.ts) → MailboxChange. */
export type TrackMailDeps = Pick<PipelineDeps, 'audit' | 'queues' | 'mail' | 'requests' | 'watch' | 'graph' | 'vault' | 'policy' | 'calendar' | 'prompts'>;

export async function trackMail(deps: TrackMailDeps, event: MailEvent): Promise<void> {
  const { audit, mail } = deps;
  const watch = deps.watch;
  if (!watch) return;

  if (event.lifecycleEvent) {
    await audit.append({ type: 'graph.lifecycle', actor: 'graph', outcome: event.lifecycleEvent, details: { subscriptionId: event.subscriptionId } });
    if (event.lifecycleEvent === 'reauthorizationRequired') await watch.renew(event.subscriptionId);
    else if (event.lifecycleEvent === 'subscriptionRemoved') await watch.forget(event.subscriptionId);
    else await resync(deps, event.subscriptionId);
    return;
  }
  const sub = await watch.subscription(event.subscriptionId);
  if (!sub || !event.messageId) return;

  if (sub.folder === 'drafts' && event.changeType === 'deleted') {
    const requestId = await watch.requestForMessage(event.messageId);
    if (requestId) await applyMailboxChange(deps, { requestId, kind: 'deleted', messageId: event.messageId, mailbox: sub.mailbox }, 'outlook');
    return;
  }

  const message = await mail.getMessage(sub.mailbox, event.messageId);
  if (!message) return;
  if (sub.folder === 'sentitems') {
    if (message.requestId) await applyMailboxChange(deps, { requestId: message.requestId, kind: 'sent', messageId: message.id, ...(message.body !== undefined ? { body: message.body } : {}) }, 'outlook');
  } else if (sub.folder === 'inbox' && message.conversationId) {
    const requestId = await watch.requestForConversation(message.conversationId);
    if (requestId) await applyMailboxChange(deps, { requestId, kind: 'reply', messageId: message.id, mailbox: sub.mailbox }, 'outlook');
  }
}

/** Graph missed notifications: walk Sent Items with a delta query and treat each message as new. */
async function resync(deps: TrackMailDeps, subscriptionId: string): Promise<void> {
  const sub = await deps.watch!.subscription(subscriptionId);
  if (!sub || sub.folder !== 'sentitems' || !deps.graph) return;
  const { messages } = await deps.graph.delta(sub.mailbox, 'sentitems');
  for (const m of messages) {
    if (!m.removed) await trackMail(deps, { subscriptionId, changeType: 'created', messageId: m.id, receivedAt: Date.now() });
  }
}
