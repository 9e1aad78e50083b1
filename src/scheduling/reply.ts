import { DateTime } from 'luxon';
import type { Slot } from './slots.ts';

/**
 * Which offered slot a contact's reply names ("Dienstag passt", "the 10:00 works", "Option 2"),
 * parsed locally. Only an unambiguous naming of exactly one offered slot counts: a reply naming none,
 * several, a time that was not offered, or declining, is `none`, and the rep decides; nothing is ever
 * booked on a guess. The quoted original (with all slots in it) is cut off first.
 */
export type SlotChoice = { kind: 'chosen'; index: number } | { kind: 'none'; reason: 'no_slot_named' | 'ambiguous' | 'declined' | 'not_offered' };

const WEEKDAYS: [RegExp, number][] = [
  [/\b(montags?|mondays?)\b/, 1],
  [/\b(dienstags?|tuesdays?)\b/, 2],
  [/\b(mittwochs?|wednesdays?)\b/, 3],
  [/\b(donnerstags?|thursdays?)\b/, 4],
  [/\b(freitags?|fridays?)\b/, 5],
  [/\b(samstags?|saturdays?)\b/, 6],
  [/\b(sonntags?|sundays?)\b/, 7],
];
const MONTHS: Record<string, number> = {
  januar: 1, january: 1, februar: 2, february: 2, märz: 3, march: 3, april: 4, mai: 5, may: 5, juni: 6, june: 6,
  juli: 7, july: 7, august: 8, september: 9, oktober: 10, october: 10, november: 11, dezember: 12, december: 12,
};
const ORDINALS: [RegExp, number][] = [
  [/\b(erste[nmrs]?|first|1st)\b/, 0],
  [/\b(zweite[nmrs]?|second|2nd)\b/, 1],
  [/\b(dritte[nmrs]?|third|3rd)\b/, 2],
];
const DECLINED = /\b(passt|passen|geht|gehen|klappt|works?|suits?)\s+(mir\s+|leider\s+|uns\s+)*(nicht|not|schlecht)\b|\b(keiner|keine der|none of|neither|doesn't work|don't work|won't work|can't make|kann leider nicht|leider nicht)\b/;
/** Where the quoted original starts: "> …", "Am … schrieb …:", "On … wrote:", "-----Original", "Von:", "From:". */
const QUOTE_START = /^(>|-{2,}\s*(original|ursprüngliche)|am .+ schrieb|on .+ wrote|von:|from:|gesendet:|sent:)/im;

export function parseSlotChoice(reply: string, slots: readonly Slot[], timeZone: string): SlotChoice {
  const quote = QUOTE_START.exec(reply);
  let text = ` ${(quote ? reply.slice(0, quote.index) : reply).toLowerCase().replace(/\s+/g, ' ')} `;
  if (DECLINED.test(text)) return { kind: 'none', reason: 'declined' };
  const offered = slots.map((s) => DateTime.fromISO(s.start, { zone: timeZone }));

  // "Option 2", "Nummer 2", "Termin 2", "Vorschlag 2", "#2", or the second/zweite.
  const numbered = new Set<number>();
  for (const m of text.matchAll(/\b(?:option|nummer|nr\.?|termin|vorschlag|number|no\.?|slot|choice)\s*(\d)\b|#(\d)\b|^\s*(\d)\s*[.)]?\s*(?:passt|works|bitte|please|ok)?\s*$/g)) {
    numbered.add(Number(m[1] ?? m[2] ?? m[3]) - 1);
  }
  for (const [pattern, index] of ORDINALS) if (pattern.test(text)) numbered.add(index);
  if (numbered.size > 1) return { kind: 'none', reason: 'ambiguous' };
  if (numbered.size === 1) {
    const index = [...numbered][0]!;
    return index >= 0 && index < slots.length ? { kind: 'chosen', index } : { kind: 'none', reason: 'not_offered' };
  }

  // Otherwise narrow down by the dates, weekdays and times the reply names.
  let candidates = offered.map((_, i) => i);
  let named = false;
  const narrow = (keep: (t: DateTime) => boolean) => {
    named = true;
    candidates = candidates.filter((i) => keep(offered[i]!));
  };
  const dates: { day: number; month?: number }[] = [];
  text = text.replace(new RegExp(String.raw`\b(\d{1,2})\.?\s*(${Object.keys(MONTHS).join('|')})\b`, 'g'), (_, d: string, m: string) => {
    dates.push({ day: Number(d), month: MONTHS[m]! });
    return ' ';
  });
  text = text.replace(/\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})?/g, (_, d: string, m: string) => {
    dates.push({ day: Number(d), month: Number(m) });
    return ' ';
  });
  text = text.replace(/\b(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\b/g, (_, d: string) => {
    dates.push({ day: Number(d) });
    return ' ';
  });
  for (const d of dates) narrow((t) => t.day === d.day && (d.month === undefined || t.month === d.month));
  const weekdays = WEEKDAYS.filter(([p]) => p.test(text)).map(([, d]) => d);
  if (weekdays.length > 0) narrow((t) => weekdays.includes(t.weekday));
  const times: number[] = [];
  for (const m of text.matchAll(/\b(\d{1,2})[:.](\d{2})\b|\b(\d{1,2})\s*(uhr|am|pm|o'clock)\b/g)) {
    let h = Number(m[1] ?? m[3]);
    if (m[4] === 'pm' && h < 12) h += 12;
    times.push(h * 60 + (m[2] ? Number(m[2]) : 0));
  }
  if (times.length > 0) narrow((t) => times.includes(t.hour * 60 + t.minute));
  if (!named) return { kind: 'none', reason: 'no_slot_named' };
  if (candidates.length === 1) return { kind: 'chosen', index: candidates[0]! };
  return { kind: 'none', reason: candidates.length === 0 ? 'not_offered' : 'ambiguous' };
}
