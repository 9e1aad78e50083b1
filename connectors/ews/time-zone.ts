import type { CalendarSettings } from '../../src/ports.ts';
import { child, children, text, type XmlNode } from './soap.ts';

/**
 * Time zones as the Availability service speaks them: a bias in minutes (UTC = local + bias) with
 * the standard and daylight transitions, no name. draftbridge asks in UTC and reads the owner's
 * working hours back; a European zone is recognised by its bias and the EU transition rule (last
 * Sunday of March and of October), anything else leaves the policy's zone in charge.
 */
const TRANSITION_ZERO =
  '<t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month>' +
  '<t:DayOfWeek>Sunday</t:DayOfWeek>';
export const UTC_TIME_ZONE =
  `<t:TimeZone><t:Bias>0</t:Bias><t:StandardTime>${TRANSITION_ZERO}</t:StandardTime>` +
  `<t:DaylightTime>${TRANSITION_ZERO}</t:DaylightTime></t:TimeZone>`;

/** Base bias (minutes) → zone, for zones that follow the EU daylight-saving rule. */
const EU_ZONES: Record<string, string> = {
  '0': 'Europe/London',
  '-60': 'Europe/Berlin',
  '-120': 'Europe/Helsinki',
};

function ianaZone(zone: XmlNode | undefined): string | null {
  if (!zone) return null;
  const bias = text(zone, 'Bias');
  const daylight = child(zone, 'DaylightTime');
  const standard = child(zone, 'StandardTime');
  const euRule =
    text(daylight, 'Month') === '3' &&
    text(standard, 'Month') === '10' &&
    text(daylight, 'DayOrder') === '5' &&
    text(standard, 'DayOrder') === '5';
  if (euRule && bias !== null) return EU_ZONES[bias] ?? null;
  if (bias === '0' && text(daylight, 'Month') === '0') return 'UTC';
  return null;
}

const hhmm = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00.0000000`;

/** `<WorkingHours>` of a FreeBusyView → the neutral calendar settings (the widest period wins). */
export function calendarSettingsFrom(workingHours: XmlNode | undefined): CalendarSettings {
  const timeZone = ianaZone(child(workingHours, 'TimeZone'));
  const periods = children(child(workingHours, 'WorkingPeriodArray'), 'WorkingPeriod');
  if (periods.length === 0) return { timeZone, workingHours: null };
  const days = new Set<string>();
  let start = 24 * 60;
  let end = 0;
  for (const p of periods) {
    for (const d of (text(p, 'DayOfWeek') ?? '').split(/\s+/).filter(Boolean)) days.add(d.toLowerCase());
    start = Math.min(start, Number(text(p, 'StartTimeInMinutes') ?? 0));
    end = Math.max(end, Number(text(p, 'EndTimeInMinutes') ?? 0));
  }
  return {
    timeZone,
    workingHours: { daysOfWeek: [...days], startTime: hhmm(start), endTime: hhmm(end), timeZone },
  };
}
