import { z } from 'zod';
import { UpstreamRejected } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Language, Policy } from '../policy.ts';
import type { CalendarPort, CalendarSettings } from '../ports.ts';
import { parsePreferences } from '../scheduling/preferences.ts';
import { renderSlot } from '../scheduling/render.ts';
import { findSlots, Slot, toIanaZone, type WorkingHours } from '../scheduling/slots.ts';

/**
 * The appointment slots a draft offers: the contact's wishes parsed locally from the raw note (before
 * anything is pseudonymised), the owner's free/busy and working hours from their calendar, and the
 * policy's slot rules. Without a calendar (a mail system that has none) the policy's working hours
 * alone decide; a calendar that refuses access (no Calendars.Read) offers nothing rather than guess.
 */
export const OfferedSlots = z.object({
  slots: z.array(Slot),
  /** As the contact reads them, in `language` and `timeZone`. */
  texts: z.array(z.string()),
  language: z.enum(['de', 'en']),
  timeZone: z.string(),
  /** calendar: free/busy and working hours from the mailbox; working_hours: the policy's hours only. */
  source: z.enum(['calendar', 'working_hours', 'none']),
});
export type OfferedSlots = z.infer<typeof OfferedSlots>;

export interface SlotOfferDeps {
  policy: Pick<Policy, 'scheduling'>;
  calendar?: CalendarPort | undefined;
  logger: Logger;
  now?: () => Date;
}

const DAY_NUMBERS: Record<string, number> = { monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7 };
const minutesOf = (time: string) => Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));

/** The mailbox's working hours in IANA terms, or the policy's where the mailbox gives none. */
export function workingHoursFrom(settings: CalendarSettings | null, fallback: WorkingHours): WorkingHours {
  const wh = settings?.workingHours;
  const zone = toIanaZone(wh?.timeZone) ?? toIanaZone(settings?.timeZone) ?? fallback.timeZone;
  if (!wh) return { ...fallback, timeZone: zone };
  const days = wh.daysOfWeek.map((d) => DAY_NUMBERS[d]).filter((d): d is number => d !== undefined);
  const start = minutesOf(wh.startTime);
  const end = minutesOf(wh.endTime);
  return days.length > 0 && end > start ? { days, start, end, timeZone: zone } : { ...fallback, timeZone: zone };
}

export async function offerSlots(
  deps: SlotOfferDeps,
  input: { mailbox: string; note: string | null | undefined; language: Language; contactTimeZone?: string | null | undefined; requestId: string },
): Promise<OfferedSlots> {
  const scheduling = deps.policy.scheduling;
  const now = deps.now?.() ?? new Date();
  const none = (timeZone: string): OfferedSlots => ({ slots: [], texts: [], language: input.language, timeZone, source: 'none' });
  if (!scheduling.enabled) return none(scheduling.workingHours.timeZone);
  const preferences = parsePreferences(input.note);
  let workingHours: WorkingHours = scheduling.workingHours;
  let busy: { start: string; end: string }[] = [];
  let source: OfferedSlots['source'] = 'working_hours';
  if (deps.calendar) {
    try {
      workingHours = workingHoursFrom(await deps.calendar.getCalendarSettings(input.mailbox), scheduling.workingHours);
      busy = await deps.calendar.getSchedule(input.mailbox, now, new Date(now.getTime() + (scheduling.horizonDays + 2) * 86_400_000));
      source = 'calendar';
    } catch (err) {
      // A refused calendar (no permission, unknown mailbox) offers nothing; an outage is retried.
      if (!(err instanceof UpstreamRejected)) throw err;
      deps.logger.warn({ requestId: input.requestId, code: err.code, status: err.status }, 'calendar refused; the draft asks the contact for times instead');
      return none(workingHours.timeZone);
    }
  }
  const contactTimeZone = toIanaZone(input.contactTimeZone) ?? workingHours.timeZone;
  const slots = findSlots({ now, busy, workingHours, contactTimeZone, preferences, scheduling });
  return { slots, texts: slots.map((s) => renderSlot(s, input.language, contactTimeZone)), language: input.language, timeZone: contactTimeZone, source };
}
