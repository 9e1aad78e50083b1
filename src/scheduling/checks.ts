import { DateTime } from 'luxon';
import { z } from 'zod';
import { DEFAULT_SCHEDULING, type SchedulingPolicy } from '../policy.ts';
import { parsePreferences, type SlotPreferences } from './preferences.ts';
import { readReply, type ReplyAnswer } from './reply.ts';
import { findSlots, Slot } from './slots.ts';
import { explainUnmet } from './unmet.ts';

/**
 * The two checkable questions of `draftbridge scheduling offer|reply` (DESIGN.md), one JSON line in,
 * one out: which slots a note's wishes and a calendar give, and what an answer to an offer says. The
 * same readers and slot finder as the pipeline; no Redis, no mailbox. The owner's working hours are
 * read in the contact's zone (one zone per line).
 */
const Instant = z
  .string()
  .refine((s) => DateTime.fromISO(s, { setZone: true }).isValid, 'an ISO instant with offset or Z');
const Clock = z.string().regex(/^\d{1,2}:\d{2}$/, 'HH:MM');
const Zone = z.string().refine((z) => DateTime.now().setZone(z).isValid, 'an IANA zone');
const Language = z.enum(['de', 'en']).catch('de');

export const OfferQuestion = z.object({
  id: z.union([z.string(), z.number()]),
  note: z.string().nullable().default(''),
  lang: Language.default('de'),
  now: Instant,
  zone: Zone.default('Europe/Berlin'),
  workingHours: z
    .object({ days: z.array(z.number().int().min(1).max(7)), start: Clock, end: Clock })
    .default({ days: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' }),
  busy: z.array(z.object({ start: Instant, end: Instant })).default([]),
  count: z.number().int().min(1).max(10).default(3),
  durationMinutes: z.number().int().min(5).max(480).default(30),
});
export type OfferQuestion = z.infer<typeof OfferQuestion>;

export const ReplyQuestion = z.object({
  id: z.union([z.string(), z.number()]),
  text: z.string(),
  lang: Language.default('de'),
  now: Instant,
  zone: Zone.default('Europe/Berlin'),
  offered: z.array(z.object({ start: Instant, end: Instant })),
  subject: z.string().optional(),
});
export type ReplyQuestion = z.infer<typeof ReplyQuestion>;

const minutes = (clock: string) => Number(clock.split(':')[0]) * 60 + Number(clock.split(':')[1]);
const utc = (iso: string) =>
  DateTime.fromISO(iso, { setZone: true }).toUTC().toISO({ suppressMilliseconds: true })!;

export interface OfferAnswer {
  id: string | number;
  slots: Slot[];
  wishes: SlotPreferences & { unmet?: string };
}

export function answerOffer(q: OfferQuestion, policy: SchedulingPolicy = DEFAULT_SCHEDULING): OfferAnswer {
  const now = DateTime.fromISO(q.now, { setZone: true });
  const wishes: OfferAnswer['wishes'] = parsePreferences(q.note, { today: now.setZone(q.zone) });
  const { days, start, end } = q.workingHours;
  const workingHours = { days, start: minutes(start), end: minutes(end), timeZone: q.zone };
  const scheduling = { ...policy, slotMinutes: q.durationMinutes, slotsOffered: q.count };
  const query = {
    now: now.toJSDate(),
    busy: q.busy,
    workingHours,
    contactTimeZone: q.zone,
    preferences: wishes,
  };
  const slots = findSlots({ ...query, scheduling });
  if (slots.length === 0) wishes.unmet = explainUnmet(wishes, workingHours, q.zone, now.toJSDate());
  return { id: q.id, slots, wishes };
}

export function answerReply(q: ReplyQuestion): { id: string | number } & ReplyAnswer {
  const offered = q.offered.map((s) => ({ start: utc(s.start), end: utc(s.end) }));
  const now = DateTime.fromISO(q.now, { setZone: true }).toJSDate();
  return { id: q.id, ...readReply(q.text, offered, { timeZone: q.zone, now, subject: q.subject }) };
}
