import type { MailEvent } from '../jobs.ts';
import type { PipelineDeps } from '../deps.ts';
import { bookFromReply } from '../booking.ts';
import { releaseHolds } from '../slot-offer.ts';

/**
 * Outlook is where the reviewer decides: sending the draft is the approval, deleting it the
 * rejection. Graph tells us through change notifications; this stage maps them back to the request,
 * moves its state and has the CRM told. A reply from the lead in the same conversation books the slot
 * it names (booking.ts), and otherwise becomes a note for the rep.
 */
export type TrackMailDeps = Pick<PipelineDeps, 'audit' | 'queues' | 'mail' | 'requests' | 'watch' | 'calendar' | 'prompts'>;

export async function trackMail(deps: TrackMailDeps, event: MailEvent): Promise<void> {
  const { audit, mail, requests } = deps;
  const watch = deps.watch;
  if (!watch) return;
  const crmSync = deps.queues['crm-sync'];

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
    const record = requestId ? await requests.get(requestId) : null;
    if (!record || record.state !== 'awaiting_review') return;
    await releaseHolds(deps.calendar, sub.mailbox, record.requestId);
    await requests.transition(record.requestId, 'rejected', { actor: 'reviewer', details: { via: 'outlook_delete' } });
    await crmSync.add('crm-sync', { requestId: record.requestId }, { jobId: `${record.requestId}.rejected` });
    return;
  }

  const message = await mail.getMessage(sub.mailbox, event.messageId);
  if (!message) return;
  if (sub.folder === 'sentitems') {
    const record = message.requestId ? await requests.get(message.requestId) : null;
    if (!record || record.state !== 'awaiting_review') return;
    await requests.transition(record.requestId, 'sent', { actor: 'reviewer', details: { via: 'outlook_send' } }, { messageId: message.id });
    await crmSync.add('crm-sync', { requestId: record.requestId }, { jobId: `${record.requestId}.sent` });
  } else if (sub.folder === 'inbox' && message.conversationId) {
    const requestId = await watch.requestForConversation(message.conversationId);
    const record = requestId ? await requests.get(requestId) : null;
    if (!record) return;
    // A reply that names one offered slot books it; any other reply stays a note for the rep.
    // A second notification of the same reply finds the request booked; its note job id is the same.
    const booking = await bookFromReply(deps, record, sub.mailbox, event.messageId);
    await audit.append({ type: 'request.replied', requestId: record.requestId, subject: record.subject, actor: 'lead', outcome: 'replied', details: { booking } });
    await crmSync.add('crm-sync', { requestId: record.requestId, event: 'reply' }, { jobId: `${record.requestId}.reply.${message.id.slice(-24).replace(/[^A-Za-z0-9_-]/g, '')}` });
  }
}

/** Graph missed notifications: walk Sent Items with a delta query and treat each message as new. */
async function resync(deps: TrackMailDeps, subscriptionId: string): Promise<void> {
  const sub = await deps.watch!.subscription(subscriptionId);
  if (!sub || sub.folder !== 'sentitems') return;
  const { messages } = await deps.mail.delta(sub.mailbox, 'sentitems');
  for (const m of messages) {
    if (!m.removed) await trackMail(deps, { subscriptionId, changeType: 'created', messageId: m.id, receivedAt: Date.now() });
  }
}
