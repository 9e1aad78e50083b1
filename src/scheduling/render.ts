import { DateTime } from 'luxon';
import type { Language } from '../policy.ts';
import { wallClock, type Slot } from './slots.ts';
import { cachedZone } from './zone-cache.ts';

/**
 * A slot as the contact reads it, in their language and time zone: "Dienstag, 1. Dezember,
 * 10:00–10:30 Uhr" / "Tuesday, 1 December, 10:00–10:30". Dates and times are not personal data, so
 * these strings go to the LLM as fixed text it must copy unchanged.
 */
export function renderSlot(slot: Slot, language: Language, timeZone: string): string {
  const start = Date.parse(slot.start);
  const end = Date.parse(slot.end);
  const zone = cachedZone(timeZone);
  if (!zone.isValid || Number.isNaN(start) || Number.isNaN(end))
    return renderWithLuxon(slot, language, timeZone);
  const s = wallClock(start, zone);
  const times = `${clock(s.minute)}–${clock(wallClock(end, zone).minute)}`;
  const day = dayText(language, timeZone, s.day, start);
  return language === 'de' ? `${day}, ${times} Uhr` : `${day}, ${times}`;
}

/** The offered slots as a numbered list, one per line ("1. Dienstag, …"). */
export function renderSlotList(slots: readonly Slot[], language: Language, timeZone: string): string {
  return slots.map((s, i) => `${i + 1}. ${renderSlot(s, language, timeZone)}`).join('\n');
}

// Clock times from the cached zone's offset, and the day's words ("Dienstag, 1. Dezember") from Intl
// once per language, zone and local day: a DateTime or a formatToParts per slot was most of the slot
// offer's CPU.
const dayTexts = new Map<string, string>();

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** HH:mm of a minute of the day. */
const clock = (minute: number) => `${two(Math.floor(minute / 60))}:${two(minute % 60)}`;

function dayText(language: Language, timeZone: string, day: number, instant: number): string {
  const key = `${language}|${timeZone}|${day}`;
  let text = dayTexts.get(key);
  if (text === undefined) {
    const parts: Record<string, string> = {};
    for (const part of new Intl.DateTimeFormat(language, {
      timeZone,
      weekday: 'long',
      day: 'numeric',
      month: 'long',
    }).formatToParts(instant))
      parts[part.type] = part.value;
    text =
      language === 'de'
        ? `${parts.weekday}, ${parts.day}. ${parts.month}`
        : `${parts.weekday}, ${parts.day} ${parts.month}`;
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
