import { DateTime } from 'luxon';
import { z } from 'zod';
import type { SlotPreferences } from './preferences.ts';
import { MAX_WISH_HORIZON_DAYS, wishStart, type WorkingHours } from './slots.ts';

/**
 * Why a note's wishes leave no slot, as a code the CRM note words for the rep: no working day is
 * wished ("nur am Wochenende"), the wished hours lie outside the working hours ("after 6pm"), the
 * wish starts beyond the furthest search (60 days), or the calendar is simply full then.
 */
export const UnmetWish = z.enum([
  'no_working_day',
  'outside_working_hours',
  'beyond_horizon',
  'no_free_slot',
]);
export type UnmetWish = z.infer<typeof UnmetWish>;

export function explainUnmet(
  pref: SlotPreferences,
  wh: WorkingHours,
  contactZone: string,
  now: Date,
): UnmetWish {
  const wished = (d: number) => pref.weekdays.length === 0 || pref.weekdays.includes(d);
  const days = wh.days.filter((d) => !pref.excludedWeekdays.includes(d) && wished(d));
  const inWindow = (d: number) =>
    pref.windows!.some((w) => w.weekdays.length === 0 || w.weekdays.includes(d));
  const windowDays = pref.windows?.length ? wh.days.filter(inWindow) : days;
  if (days.length === 0 || windowDays.length === 0) return 'no_working_day';
  // The wished hours on the owner's clock (same offset today; a zone apart shifts them).
  const contactNow = DateTime.fromJSDate(now, { zone: contactZone });
  const shift = DateTime.fromJSDate(now, { zone: wh.timeZone }).offset - contactNow.offset;
  const earliest = (pref.earliestMinute ?? 0) + shift;
  const latest = (pref.latestMinute ?? 1440) + shift;
  if (earliest >= wh.end || latest <= wh.start || latest - earliest <= 0) return 'outside_working_hours';
  const from = wishStart(pref, DateTime.fromJSDate(now, { zone: contactZone }).startOf('day'));
  if (from && from.toMillis() > now.getTime() + MAX_WISH_HORIZON_DAYS * 86_400_000) return 'beyond_horizon';
  if (pref.until && pref.until < contactNow.toISODate()!) return 'beyond_horizon';
  return 'no_free_slot';
}
