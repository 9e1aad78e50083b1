import { DateTime } from 'luxon';
import type { Language } from '../policy.ts';
import type { Slot } from './slots.ts';

/**
 * A slot as the contact reads it, in their language and time zone: "Dienstag, 1. Dezember,
 * 10:00–10:30 Uhr" / "Tuesday, 1 December, 10:00–10:30". Dates and times are not personal data, so
 * these strings go to the LLM as fixed text it must copy unchanged.
 */
export function renderSlot(slot: Slot, language: Language, timeZone: string): string {
  const format = formatterFor(language, timeZone);
  const start = Date.parse(slot.start);
  const end = Date.parse(slot.end);
  if (!format || Number.isNaN(start) || Number.isNaN(end)) return renderWithLuxon(slot, language, timeZone);
  const s = wallParts(format, start);
  const e = wallParts(format, end);
  const day = language === 'de' ? `${s.weekday}, ${s.day}. ${s.month}` : `${s.weekday}, ${s.day} ${s.month}`;
  const times = `${s.hour}:${s.minute}–${e.hour}:${e.minute}`;
  return language === 'de' ? `${day}, ${times} Uhr` : `${day}, ${times}`;
}

/** The offered slots as a numbered list, one per line ("1. Dienstag, …"). */
export function renderSlotList(slots: readonly Slot[], language: Language, timeZone: string): string {
  return slots.map((s, i) => `${i + 1}. ${renderSlot(s, language, timeZone)}`).join('\n');
}

// One Intl formatter per language and zone, made once: building a DateTime per slot asked Intl for
// the zone's offset each time (a third of the slot offer's CPU). Undefined for a zone Intl rejects.
const formatters = new Map<string, Intl.DateTimeFormat | undefined>();

function formatterFor(language: Language, timeZone: string): Intl.DateTimeFormat | undefined {
  const key = `${language}|${timeZone}`;
  if (formatters.has(key)) return formatters.get(key);
  let format: Intl.DateTimeFormat | undefined;
  try {
    format = new Intl.DateTimeFormat(language, { timeZone, weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  } catch {
    format = undefined;
  }
  if (formatters.size >= 1_000) formatters.clear();
  formatters.set(key, format);
  return format;
}

function wallParts(format: Intl.DateTimeFormat, ms: number): Record<'weekday' | 'day' | 'month' | 'hour' | 'minute', string> {
  const out = { weekday: '', day: '', month: '', hour: '', minute: '' };
  for (const part of format.formatToParts(ms)) {
    if (part.type in out) out[part.type as keyof typeof out] = part.value;
  }
  return out;
}

/** What an unusual slot or zone gets (luxon reads more ISO spellings; its Invalid DateTime shows). */
function renderWithLuxon(slot: Slot, language: Language, timeZone: string): string {
  const start = DateTime.fromISO(slot.start, { zone: timeZone, locale: language });
  const end = DateTime.fromISO(slot.end, { zone: timeZone, locale: language });
  const day = start.toFormat(language === 'de' ? 'cccc, d. LLLL' : 'cccc, d LLLL');
  const times = `${start.toFormat('HH:mm')}–${end.toFormat('HH:mm')}`;
  return language === 'de' ? `${day}, ${times} Uhr` : `${day}, ${times}`;
}
