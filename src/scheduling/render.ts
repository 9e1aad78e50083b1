import { DateTime, type Zone } from 'luxon';
import type { Language } from '../policy.ts';
import type { Slot } from './slots.ts';
import { cachedZone } from './zone-cache.ts';

/**
 * A slot as the contact reads it, in their language and time zone: "Dienstag, 1. Dezember,
 * 10:00–10:30 Uhr" / "Tuesday, 1 December, 10:00–10:30". Dates and times are not personal data, so
 * these strings go to the LLM as fixed text it must copy unchanged.
 */
export function renderSlot(slot: Slot, language: Language, timeZone: string): string {
  const start = Date.parse(slot.start);
  const end = Date.parse(slot.end);
  const zone = validZone(timeZone);
  if (!zone || Number.isNaN(start) || Number.isNaN(end)) return renderWithLuxon(slot, language, timeZone);
  const s = start + zone.offset(start) * 60_000;
  const e = end + zone.offset(end) * 60_000;
  const times = `${clock(s)}–${clock(e)}`;
  const day = dayText(language, timeZone, s, start);
  return language === 'de' ? `${day}, ${times} Uhr` : `${day}, ${times}`;
}

/** The offered slots as a numbered list, one per line ("1. Dienstag, …"). */
export function renderSlotList(slots: readonly Slot[], language: Language, timeZone: string): string {
  return slots.map((s, i) => `${i + 1}. ${renderSlot(s, language, timeZone)}`).join('\n');
}

// Offsets from the cached zone (remembered per instant), and the day's words ("Dienstag, 1. Dezember")
// from Intl once per language, zone and local day: a DateTime or a formatToParts per slot was most of
// the slot offer's CPU. Undefined for a zone Intl rejects.
const zones = new Map<string, Zone | undefined>();
const dayTexts = new Map<string, string>();

function validZone(timeZone: string): Zone | undefined {
  if (zones.has(timeZone)) return zones.get(timeZone);
  const zone = cachedZone(timeZone);
  if (zones.size >= 1_000) zones.clear();
  zones.set(timeZone, zone.isValid ? zone : undefined);
  return zones.get(timeZone);
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** HH:mm of a local wall-clock time (epoch ms shifted by the zone's offset). */
function clock(local: number): string {
  const minuteOfDay = Math.floor((local - Math.floor(local / 86_400_000) * 86_400_000) / 60_000);
  return `${two(Math.floor(minuteOfDay / 60))}:${two(minuteOfDay % 60)}`;
}

function dayText(language: Language, timeZone: string, local: number, instant: number): string {
  const key = `${language}|${timeZone}|${Math.floor(local / 86_400_000)}`;
  let text = dayTexts.get(key);
  if (text === undefined) {
    const parts: Record<string, string> = {};
    for (const part of new Intl.DateTimeFormat(language, { timeZone, weekday: 'long', day: 'numeric', month: 'long' }).formatToParts(instant)) parts[part.type] = part.value;
    text = language === 'de' ? `${parts.weekday}, ${parts.day}. ${parts.month}` : `${parts.weekday}, ${parts.day} ${parts.month}`;
    if (dayTexts.size >= 5_000) dayTexts.clear();
    dayTexts.set(key, text);
  }
  return text;
}

/** What an unusual slot or zone gets (luxon reads more ISO spellings; its Invalid DateTime shows). */
function renderWithLuxon(slot: Slot, language: Language, timeZone: string): string {
  const start = DateTime.fromISO(slot.start, { zone: timeZone, locale: language });
  const end = DateTime.fromISO(slot.end, { zone: timeZone, locale: language });
  const day = start.toFormat(language === 'de' ? 'cccc, d. LLLL' : 'cccc, d LLLL');
  const times = `${start.toFormat('HH:mm')}–${end.toFormat('HH:mm')}`;
  return language === 'de' ? `${day}, ${times} Uhr` : `${day}, ${times}`;
}
