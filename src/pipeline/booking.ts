import type { Language } from '../policy.ts';
import { parseSlotChoice, type SlotChoice } from '../scheduling/reply.ts';
import type { Slot } from '../scheduling/slots.ts';
import type { PipelineDeps } from './deps.ts';
import type { RequestRecord } from './request-state.ts';
import { releaseHolds, transactionIdFor } from './slot-offer.ts';

/**
 * A contact's reply to a sent mail that offered slots: read locally, and when it names exactly one
 * offered slot, the meeting goes into the owner's calendar with the contact (the reply's sender) as
 * attendee and the request becomes `booked`. Exactly once: the event's transactionId is derived from
 * the request id (Graph returns the first event for a repeat) and a booked request is never booked
 * again, so a notification delivered twice books one meeting. Anything else is left to the rep.
 */
export type BookingDeps = Pick<PipelineDeps, 'calendar' | 'mail' | 'requests' | 'audit' | 'queues' | 'prompts'>;
export type BookingOutcome = 'booked' | 'already_booked' | 'no_slot' | 'not_applicable';

/** "start/end start/end" (the request record's `slots`) → slots. */
export function slotsFromRecord(value: string | undefined): Slot[] {
  return (value ?? '').split(' ').filter(Boolean).map((pair) => {
    const [start, end] = pair.split('/');
    return { start: start!, end: end! };
  });
}

export async function bookFromReply(deps: BookingDeps, record: RequestRecord, mailbox: string, messageId: string): Promise<BookingOutcome> {
  if (record.state === 'booked') return 'already_booked';
  const slots = slotsFromRecord(record.slots);
  if (record.state !== 'sent' || slots.length === 0 || !deps.calendar || !deps.mail.getReplyText) return 'not_applicable';
  const reply = await deps.mail.getReplyText(mailbox, messageId);
  if (!reply) return 'not_applicable';
  const parsed = parseSlotChoice(reply.text, slots, record.slotZone ?? 'UTC');
  // Without a sender address there is nobody to invite: the rep decides.
  const choice: SlotChoice = parsed.kind === 'chosen' && !reply.from ? { kind: 'none', reason: 'no_slot_named' } : parsed;
  await deps.audit.append({
    type: 'request.reply_read',
    requestId: record.requestId,
    subject: record.subject,
    actor: 'booking',
    outcome: choice.kind,
    details: choice.kind === 'chosen' ? { slot: choice.index + 1 } : { reason: choice.reason },
  });
  if (choice.kind !== 'chosen') return 'no_slot';

  const slot = slots[choice.index]!;
  const language: Language = record.language === 'en' ? 'en' : 'de';
  const wording = deps.prompts.wording(language).slots;
  const event = await deps.calendar.createEvent(mailbox, {
    subject: wording.event_subject,
    start: slot.start,
    end: slot.end,
    attendees: [{ address: reply.from! }],
    body: wording.event_body,
    showAs: 'busy',
    transactionId: transactionIdFor(`${record.requestId}:booking`),
    requestId: record.requestId,
  });
  // The contact has chosen: the tentative holds go (all of them; the meeting now blocks its slot).
  await releaseHolds(deps.calendar, mailbox, record.requestId);
  await deps.requests.transition(record.requestId, 'booked', { actor: 'booking', details: { slot: choice.index + 1 }, facts: { bookedSlot: `${slot.start}/${slot.end}`, eventId: event.id } });
  await deps.queues['crm-sync'].add('crm-sync', { requestId: record.requestId }, { jobId: `${record.requestId}.booked` });
  return 'booked';
}
