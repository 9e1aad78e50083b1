import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { isAutoReply } from '../../src/scheduling/auto-reply.ts';
import { parsePreferences } from '../../src/scheduling/preferences.ts';
import { readReply } from '../../src/scheduling/reply.ts';

// The examples, read on Monday 7 December 2026 (Berlin). Offer: Tue 10:00, Wed 14:00, Thu 11:30.
const ZONE = 'Europe/Berlin';
const NOW = new Date('2026-12-07T08:00:00Z');
const TODAY = DateTime.fromJSDate(NOW, { zone: ZONE });
const OFFER = [
  { start: '2026-12-08T09:00:00Z', end: '2026-12-08T09:30:00Z' },
  { start: '2026-12-09T13:00:00Z', end: '2026-12-09T13:30:00Z' },
  { start: '2026-12-10T10:30:00Z', end: '2026-12-10T11:00:00Z' },
];
const read = (text: string, subject?: string) =>
  readReply(text, OFFER, { timeZone: ZONE, now: NOW, subject });

describe('reply answers', () => {
  it.each([
    ['the last one', 2],
    ['2', 1],
    ['nicht den ersten sondern den zweiten', 1],
    ['Mittwoch um 14 Uhr', 1],
    ['the 11:30 one', 2],
    ['Nummer 2', 1],
    ['Option B', 1],
    ['der letzte', 2],
    ['Wednesday afternoon', 1],
    ['Not the first, the second please', 1],
    ['Dienstag geht leider nicht, aber Donnerstag passt', 2],
  ])('%s picks slot %i', (text, choice) => {
    expect(read(text)).toMatchObject({ kind: 'pick', choice, counter: null });
  });

  it.each([
    ['Keiner passt, ginge Freitag 14 Uhr?', '2026-12-11T13:00:00Z'],
    ['none of these, how about Thursday at 3?', '2026-12-10T14:00:00Z'],
  ])('%s is a counter-proposal', (text, start) => {
    expect(read(text)).toMatchObject({ kind: 'counter', choice: null, counter: { start } });
  });

  it.each([
    ['Bitte rufen Sie mich einfach an', 'call_me'],
    ['Kein Interesse mehr.', 'decline'],
    ['None of these work, sorry.', 'decline'],
    ['Vielleicht der zweite?', 'unclear'],
    ['Option 1 oder 2, beides gut', 'unclear'],
    ['Could you send the brochure first?', 'unclear'],
    ['I am currently out of the office.', 'auto_reply'],
  ])('%s → %s, never a pick', (text, kind) => {
    expect(read(text)).toMatchObject({ kind, choice: null });
  });

  it('an out-of-office subject makes any text an automatic reply', () => {
    expect(read('Option 2', 'Automatische Antwort: Termin').kind).toBe('auto_reply');
  });
});

describe('automatic replies by their headers', () => {
  it.each([
    [{ 'Auto-Submitted': 'auto-replied' }, undefined, true],
    [{ 'auto-submitted': 'auto-generated' }, undefined, true],
    [{ 'Auto-Submitted': 'no' }, undefined, false],
    [{ 'X-Auto-Response-Suppress': 'All' }, undefined, true],
    [{ Precedence: 'bulk' }, undefined, true],
    [{ Precedence: 'auto_reply' }, undefined, true],
    [{}, 'Out of Office: Termin', true],
    [{}, 'Abwesenheitsnotiz', true],
    [{}, 'AW: Termin', false],
  ] as const)('%o / %s → %s', (headers, subject, auto) => {
    expect(isAutoReply(headers, subject)).toBe(auto);
  });
});

describe('note wishes', () => {
  const wishes = (note: string) => parsePreferences(note, { today: TODAY });
  it('"erst ab nächstem Monat" starts on the first of next month', () => {
    expect(wishes('bittet um einen Termin erst ab nächstem Monat').from).toBe('2027-01-01');
  });
  it('"any time except Monday mornings" excludes Monday mornings only', () => {
    expect(wishes('any time except Monday mornings')).toEqual({
      weekdays: [],
      excludedWeekdays: [],
      exclusions: [{ weekdays: [1], fromMinute: 0, toMinute: 720 }],
    });
    expect(wishes('außer montags vormittags')).toEqual({
      weekdays: [],
      excludedWeekdays: [],
      exclusions: [{ weekdays: [1], fromMinute: 0, toMinute: 720 }],
    });
  });
  it.each([
    ['Nicht vor Januar', { from: '2027-01-01' }],
    ['in zwei Wochen', { from: '2026-12-21' }],
    ['in two weeks', { from: '2026-12-21' }],
    ['erst nach Weihnachten', { from: '2026-12-27' }],
    ['after the holidays', { from: '2027-01-02' }],
    ['übernächste Woche', { from: '2026-12-21', until: '2026-12-27' }],
    ['KW 3', { from: '2027-01-18', until: '2027-01-24' }],
    ['Mitte Januar', { from: '2027-01-11', until: '2027-01-20' }],
    ['nach Ostern', { from: '2027-03-30' }],
  ])('%s', (note, range) => {
    expect(wishes(note)).toMatchObject(range);
  });
});
