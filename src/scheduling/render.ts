import { DateTime } from 'luxon';
import type { Language } from '../policy.ts';
import type { Slot } from './slots.ts';

/**
 * A slot as the contact reads it, in their language and time zone: "Dienstag, 1. Dezember,
 * 10:00–10:30 Uhr" / "Tuesday, 1 December, 10:00–10:30". Dates and times are not personal data, so
 * these strings go to the LLM as fixed text it must copy unchanged.
 */
export function renderSlot(slot: Slot, language: Language, timeZone: string): string {
  const start = DateTime.fromISO(slot.start, { zone: timeZone, locale: language });
  const end = DateTime.fromISO(slot.end, { zone: timeZone, locale: language });
  const day = start.toFormat(language === 'de' ? 'cccc, d. LLLL' : 'cccc, d LLLL');
  const times = `${start.toFormat('HH:mm')}–${end.toFormat('HH:mm')}`;
  return language === 'de' ? `${day}, ${times} Uhr` : `${day}, ${times}`;
}

/** The offered slots as a numbered list, one per line ("1. Dienstag, …"). */
export function renderSlotList(slots: readonly Slot[], language: Language, timeZone: string): string {
  return slots.map((s, i) => `${i + 1}. ${renderSlot(s, language, timeZone)}`).join('\n');
}
