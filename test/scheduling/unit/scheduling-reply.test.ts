import { describe, expect, it } from 'vitest';
import { parseSlotChoice, type SlotChoice } from '../../../src/scheduling/reply.ts';

// Offered (Berlin): 1. Tue 1 Dec 10:00, 2. Wed 2 Dec 10:00, 3. Wed 2 Dec 11:30
const SLOTS = [
  { start: '2026-12-01T09:00:00Z', end: '2026-12-01T09:30:00Z' },
  { start: '2026-12-02T09:00:00Z', end: '2026-12-02T09:30:00Z' },
  { start: '2026-12-02T10:30:00Z', end: '2026-12-02T11:00:00Z' },
];
const chosen = (index: number): SlotChoice => ({ kind: 'chosen', index });
const none = (reason: string) => ({ kind: 'none', reason });

const CASES: [string, SlotChoice | ReturnType<typeof none>][] = [
  ['Dienstag passt.', chosen(0)],
  ['Dienstag passt mir gut, danke!', chosen(0)],
  ['Tuesday works for me', chosen(0)],
  ['Option 2 bitte', chosen(1)],
  ['option 3', chosen(2)],
  ['Nummer 2 passt', chosen(1)],
  ['2', chosen(1)],
  ['Der zweite Termin passt', chosen(1)],
  ['The third one, please', chosen(2)],
  ['the 11:30 works', chosen(2)],
  ['Mittwoch um 11:30', chosen(2)],
  ['Wednesday at 10:00 is fine', chosen(1)],
  ['Gern am 1. Dezember', chosen(0)],
  ['1 December works', chosen(0)],
  ['Am 2.12. um 10 Uhr', chosen(1)],
  ['the 10:00 works', none('ambiguous')],
  ['Mittwoch passt', none('ambiguous')],
  ['Donnerstag wäre besser', none('not_offered')],
  ['Option 5', none('not_offered')],
  ['Um 15 Uhr?', none('not_offered')],
  // Ruling out one of three slots is not declining the offer: the other two remain (a person decides).
  ['Dienstag passt leider nicht', none('ambiguous')],
  ['None of these work, sorry', none('declined')],
  ['Danke, ich melde mich.', none('no_slot_named')],
  ['Option 1 oder Option 2, beides gut', none('ambiguous')],
  [
    'Dienstag passt.\n\nAm 27.11.2026 schrieb Max Vertrieb:\n> 1. Dienstag, 1. Dezember, 10:00–10:30 Uhr\n> 2. Mittwoch, 2. Dezember, 10:00–10:30 Uhr',
    chosen(0),
  ],
  [
    'Thanks!\n\nOn Fri, 27 Nov 2026, Max wrote:\n> 1. Tuesday, 1 December, 10:00–10:30',
    none('no_slot_named'),
  ],
];

describe('parseSlotChoice', () => {
  it.each(CASES)('%s', (reply, want) => {
    expect(parseSlotChoice(reply, SLOTS, 'Europe/Berlin')).toEqual(want);
  });
});
