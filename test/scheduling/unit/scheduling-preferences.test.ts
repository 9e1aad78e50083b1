import { describe, expect, it } from 'vitest';
import { parsePreferences, type SlotPreferences } from '../../../src/scheduling/preferences.ts';

const H = (h: number, m = 0) => h * 60 + m;
type Expect = Partial<SlotPreferences>;

// Each phrasing with the constraints it must yield; absent keys must be absent (or empty lists).
const CASES: [string, Expect][] = [
  // parts of the day, German
  ['Bitte Rückruf wegen Angebot für drei Fräsmaschinen, am besten vormittags.', { latestMinute: H(12) }],
  ['Gern morgens anrufen', { latestMinute: H(12) }],
  ['am Vormittag erreichbar', { latestMinute: H(12) }],
  ['Lieber nachmittags', { earliestMinute: H(12) }],
  ['Am Nachmittag passt es besser', { earliestMinute: H(12) }],
  ['Nach der Mittagspause bitte', { earliestMinute: H(13) }],
  ['Bitte nicht vormittags', { earliestMinute: H(12) }],
  ['Bitte nicht nachmittags', { latestMinute: H(12) }],
  ['Rückruf gern abends', { earliestMinute: H(17) }],
  // clock times, German
  ['Bitte erst nach 16 Uhr anrufen', { earliestMinute: H(16) }],
  ['Erreichbar ab 14 Uhr', { earliestMinute: H(14) }],
  ['ab 9:30 Uhr im Büro', { earliestMinute: H(9, 30) }],
  ['bitte vor 11 Uhr', { latestMinute: H(11) }],
  ['bis 12 Uhr erreichbar', { latestMinute: H(12) }],
  ['Am besten zwischen 10 und 12 Uhr', { earliestMinute: H(10), latestMinute: H(12) }],
  ['gern von 14 bis 16.30 Uhr', { earliestMinute: H(14), latestMinute: H(16, 30) }],
  ['nachmittags, aber nicht vor 15 Uhr', { earliestMinute: H(15) }],
  // parts of the day and clock times, English
  ['Asked for a call about fleet tracking, afternoons preferred.', { earliestMinute: H(12) }],
  ['Mornings are best', { latestMinute: H(12) }],
  ['please call in the morning', { latestMinute: H(12) }],
  ['Any time after lunch', { earliestMinute: H(13) }],
  ['Please call after 4pm', { earliestMinute: H(16) }],
  ['after 4 please', { earliestMinute: H(16) }],
  ['not before 10am', { earliestMinute: H(10) }],
  ['before 11:30 am please', { latestMinute: H(11, 30) }],
  ['between 2 and 4pm', { earliestMinute: H(14), latestMinute: H(16) }],
  ['between 9am and 11am', { earliestMinute: H(9), latestMinute: H(11) }],
  ['not in the morning please', { earliestMinute: H(12) }],
  ['evenings work best', { earliestMinute: H(17) }],
  // weekdays, German
  ['Bitte nicht freitags anrufen.', { excludedWeekdays: [5] }],
  ['Nicht am Freitag', { excludedWeekdays: [5] }],
  ['Freitags geht es leider nicht', { excludedWeekdays: [5] }],
  ['außer montags jederzeit', { excludedWeekdays: [1] }],
  ['Am liebsten dienstags', { weekdays: [2] }],
  ['Dienstag oder Donnerstag', { weekdays: [2, 4] }],
  ['nicht Montag oder Freitag', { excludedWeekdays: [1, 5] }],
  ['Mittwochs vormittags', { weekdays: [3], latestMinute: H(12) }],
  // weekdays, English
  ['not on Fridays', { excludedWeekdays: [5] }],
  ['no Mondays please', { excludedWeekdays: [1] }],
  ['any day except Friday', { excludedWeekdays: [5] }],
  ["Fridays don't work for me", { excludedWeekdays: [5] }],
  ['Tuesday or Thursday afternoon', { weekdays: [2, 4], earliestMinute: H(12) }],
  ['prefers Wednesdays', { weekdays: [3] }],
  // not before a week or a date
  ['Ist noch krankgeschrieben, Rückruf erst nächste Woche.', { notBefore: { kind: 'next_week' } }],
  ['ab nächster Woche gern', { notBefore: { kind: 'next_week' } }],
  ['diese Woche nicht mehr, kommende Woche gern', { notBefore: { kind: 'next_week' } }],
  ['next week would be better', { notBefore: { kind: 'next_week' } }],
  ['not this week', { notBefore: { kind: 'next_week' } }],
  ['not before the 3rd', { notBefore: { kind: 'date', day: 3 } }],
  ['from the 15th of December', { notBefore: { kind: 'date', day: 15, month: 12 } }],
  ['after the 3rd please', { notBefore: { kind: 'date', day: 3, exclusive: true } }],
  ['not before December 7', { notBefore: { kind: 'date', day: 7, month: 12 } }],
  ['Bitte nicht vor dem 3.', { notBefore: { kind: 'date', day: 3 } }],
  ['erst ab dem 8. Dezember', { notBefore: { kind: 'date', day: 8, month: 12 } }],
  ['ab dem 3.12. vormittags', { notBefore: { kind: 'date', day: 3, month: 12 }, latestMinute: H(12) }],
  ['nach dem 10. bitte', { notBefore: { kind: 'date', day: 10, exclusive: true } }],
  // combined
  [
    'Erst nächste Woche, nicht freitags, nach 16 Uhr',
    { notBefore: { kind: 'next_week' }, excludedWeekdays: [5], earliestMinute: H(16) },
  ],
  [
    'next week, mornings, not on Monday',
    { notBefore: { kind: 'next_week' }, excludedWeekdays: [1], latestMinute: H(12) },
  ],
  // nothing to take from the note
  ['Interesse an einem Angebot.', {}],
  ['', {}],
  ['Call me about the 3 machines', {}],
  ['Bitte Rückruf unter 030 901820', {}],
  ['morgens, aber erst nach 16 Uhr', {}],
];

describe('parsePreferences', () => {
  it('covers at least 40 phrasings', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.each(CASES)('%s', (note, want) => {
    const got = parsePreferences(note);
    expect(got).toEqual({ weekdays: [], excludedWeekdays: [], ...want });
  });

  it('treats a missing note as no constraint', () => {
    expect(parsePreferences(null)).toEqual({ weekdays: [], excludedWeekdays: [] });
  });
});
