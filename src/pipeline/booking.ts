import { timingSafeEqual } from 'node:crypto';
import type { Language } from '../policy.ts';
import type { ReceivedReply } from '../ports.ts';
import { isAutoReply } from '../scheduling/auto-reply.ts';
import { replyOutcomes } from '../scheduling/metrics.ts';
import { SlotPreferences } from '../scheduling/preferences.ts';
import type { ReplyAnswer } from '../scheduling/reply.ts';
import { fitsWishes, inWorkingHours, type Slot } from '../scheduling/slots.ts';
import { understandReply } from '../scheduling/understand.ts';
import type { PipelineDeps } from './deps.ts';
import type { RequestRecord } from './request-state.ts';
import { releaseHolds, transactionIdFor, workingHoursFrom } from './slot-offer.ts';

/**
 * A contact's reply to a sent mail that offered slots. Only the address the offer went to may book
 * (keyed hashes compared; the address itself is never stored): a reply from anyone else in the
 * conversation, or a machine's (auto-reply), books nothing and is reported for the rep. The contact's
 * own reply is read (rules, and the LLM engine when configured: where they disagree, nothing is
 * booked): a pick of one offered slot, or a counter-proposal that is free, in working hours and in
 * the note's wishes, goes into the owner's calendar with the contact as attendee and the request
 * becomes `booked`. Exactly once: the event's transactionId is derived from the request id and a
 * booked request is never booked again. Anything else ("ruf mich an", unclear) is left to the rep.
 */
export type BookingDeps = Pick<
  PipelineDeps,
  'calendar' | 'mail' | 'requests' | 'audit' | 'queues' | 'prompts' | 'policy'
> &
  Partial<Pick<PipelineDeps, 'llm' | 'now'>>;

/** What became of a reply: a code the CRM note words for the rep (never personal data). */
export type BookingOutcome =
  | 'booked'
  | 'counter_booked'
  | 'already_booked'
  | 'not_applicable'
  | 'other_sender'
  | 'auto_reply'
  | 'call_me'
  | 'decline'
  | 'unclear'
  | 'engines_disagree'
  | 'counter_unavailable'
  | 'no_calendar';

/** "start/end start/end" (the request record's `slots`) → slots. */
export function slotsFromRecord(value: string | undefined): Slot[] {
  return (value ?? '')
    .split(' ')
    .filter(Boolean)
    .map((pair) => {
      const [start, end] = pair.split('/');
      return { start: start!, end: end! };
    });
}

/** The reply's sender is the offer's recipient: their keyed hashes are equal (constant time). */
export function fromRecipient(
  deps: Pick<BookingDeps, 'audit'>,
  record: RequestRecord,
  from: string | null,
): boolean {
  if (!from || !record.recipientRef) return false;
  const a = Buffer.from(deps.audit.addressRef(from));
  const b = Buffer.from(record.recipientRef);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function bookFromReply(
  deps: BookingDeps,
  record: RequestRecord,
  mailbox: string,
  messageId: string,
): Promise<BookingOutcome> {
  if (record.state === 'booked') return 'already_booked';
  const slots = slotsFromRecord(record.slots);
  if (record.state !== 'sent' || slots.length === 0 || !deps.mail.getReplyText) return 'not_applicable';
  const reply = await deps.mail.getReplyText(mailbox, messageId);
  if (!reply) return 'not_applicable';
  const outcome = await decideReply(deps, record, mailbox, reply, slots);
  replyOutcomes.inc({ outcome });
  return outcome;
}

async function decideReply(
  deps: BookingDeps,
  record: RequestRecord,
  mailbox: string,
  reply: ReceivedReply,
  slots: Slot[],
): Promise<BookingOutcome> {
  const read = (outcome: string, details: Record<string, string | number | null> = {}) =>
    deps.audit.append({
      type: 'request.reply_read',
      requestId: record.requestId,
      subject: record.subject,
      actor: 'booking',
      outcome,
      details,
    });
  if (isAutoReply(reply.headers, reply.subject)) {
    await read('none', { reason: 'auto_reply' });
    return 'auto_reply';
  }
  if (!fromRecipient(deps, record, reply.from)) {
    await read('none', { reason: 'other_sender' });
    return 'other_sender';
  }
  const zone = record.slotZone ?? 'UTC';
  const now = deps.now?.() ?? new Date();
  const language = record.language === 'en' ? 'en' : 'de';
  const context = { timeZone: zone, now, language, requestId: record.requestId } as const;
  const answer = await understandReply(deps, reply, slots, context);
  if (answer.kind === 'pick') await read('chosen', { slot: answer.choice! + 1 });
  else await read('none', { reason: answer.reason ?? answer.kind, kind: answer.kind });
  if (answer.kind === 'auto_reply') return 'auto_reply';
  if (answer.reason === 'engines_disagree') return 'engines_disagree';
  if (answer.kind === 'call_me' || answer.kind === 'decline' || answer.kind === 'unclear') return answer.kind;
  if (!deps.calendar) return 'no_calendar';
  if (answer.kind === 'pick') {
    return book(deps, record, mailbox, reply, slots[answer.choice!]!, answer.choice! + 1);
  }
  return bookCounter(deps, record, mailbox, reply, answer, now);
}

/** A counter-proposal books like a pick when the owner is free then, in working hours and the wishes. */
async function bookCounter(
  deps: BookingDeps,
  record: RequestRecord,
  mailbox: string,
  reply: ReceivedReply,
  answer: ReplyAnswer,
  now: Date,
): Promise<BookingOutcome> {
  const slot = answer.counter;
  if (!slot || !deps.calendar) return 'counter_unavailable';
  const scheduling = deps.policy.scheduling;
  const start = Date.parse(slot.start);
  if (start < now.getTime() + scheduling.leadTime) return 'counter_unavailable';
  const settings = await deps.calendar.getCalendarSettings(mailbox);
  const workingHours = workingHoursFrom(settings, scheduling.workingHours);
  if (!inWorkingHours(slot, workingHours, scheduling.holidayRegion)) return 'counter_unavailable';
  const wishes = record.slotWishes ? SlotPreferences.safeParse(JSON.parse(record.slotWishes)) : undefined;
  const contactZone = record.slotZone ?? workingHours.timeZone;
  if (wishes?.success && !fitsWishes(slot, wishes.data, contactZone, now)) return 'counter_unavailable';
  // Our own holds for this request are not someone else's meeting.
  const holds = await deps.calendar.listHolds(mailbox, record.requestId);
  const end = Date.parse(slot.end);
  const same = (a: { start: string; end: string }, b: { start: string; end: string }) =>
    Date.parse(a.start) === Date.parse(b.start) && Date.parse(a.end) === Date.parse(b.end);
  const day = 86_400_000;
  const schedule = await deps.calendar.getSchedule(mailbox, new Date(start - day), new Date(end + day));
  const busy = schedule.filter((b) => !holds.some((h) => same(h, b)));
  if (busy.some((b) => Date.parse(b.start) < end && Date.parse(b.end) > start)) return 'counter_unavailable';
  const booked = await book(deps, record, mailbox, reply, slot, 'counter');
  return booked === 'booked' ? 'counter_booked' : booked;
}

async function book(
  deps: BookingDeps,
  record: RequestRecord,
  mailbox: string,
  reply: ReceivedReply,
  slot: Slot,
  which: number | 'counter',
): Promise<BookingOutcome> {
  const language: Language = record.language === 'en' ? 'en' : 'de';
  const wording = deps.prompts.wording(language).slots;
  // The attendee is the reply's sender, which is the offer's recipient (checked above).
  const event = await deps.calendar!.createEvent(mailbox, {
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
  const facts = { bookedSlot: `${slot.start}/${slot.end}`, eventId: event.id };
  const change = { actor: 'booking', details: { slot: which } } as const;
  await deps.requests.transition(record.requestId, 'booked', { ...change, facts });
  const job = { jobId: `${record.requestId}.booked` };
  await deps.queues['crm-sync'].add('crm-sync', { requestId: record.requestId }, job);
  return 'booked';
}
