import fc from 'fast-check';
import { fuzzParams } from '../fuzz/support.ts';
import { describe, expect, it } from 'vitest';
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';
import { fold } from '../../src/privacy/text.ts';

/**
 * Properties over generated names from many scripts: a placeholder never touches a letter, and a
 * known CRM value never survives in any of the spellings a note may use.
 */
const SCRIPTS: Record<string, { upper: string; lower: string }> = {
  latin: { upper: 'ABCDEFGHIJKLMNOPRSTUVWZ', lower: 'abcdefghijklmnoprstuvwz' },
  german: { upper: 'ÄÖÜBDGHKLMNRSTW', lower: 'äöüßaeinorstuw' },
  polish: { upper: 'ŁŚŻŹĆŃBDGKMPRW', lower: 'łśżźćńąęóaeioyw' },
  turkish: { upper: 'İŞĞÇÖÜBDKMT', lower: 'ışğçöüaeilnr' },
  vietnamese: { upper: 'ĐNTHQ', lower: 'ễạầởđươăêôuyn' },
  romanian: { upper: 'ȚȘĂÂÎBCDMP', lower: 'țșăâîaeinru' },
  irish: { upper: 'ÁÉÍÓÚBCDGNS', lower: 'áéíóúaeinor' },
  greek: { upper: 'ΑΒΓΔΕΚΛΜΝΠΣΤ', lower: 'αβγδεκλμνοπρστυω' },
  cyrillic: { upper: 'АБВГДЖКЛМНОПСТЮЯ', lower: 'абвгдежзиклмнопрстуюяіїє' },
};

const nameIn = (script: { upper: string; lower: string }) =>
  fc
    .tuple(
      fc.constantFrom(...script.upper),
      fc.array(fc.constantFrom(...script.lower), { minLength: 3, maxLength: 9 }),
    )
    .map(([first, rest]) => first + rest.join(''));
const anyName = fc.oneof(...Object.values(SCRIPTS).map(nameIn));
const irishStyle = fc
  .tuple(fc.constantFrom("O'", 'Mc', 'Mac', 'Ó '), nameIn(SCRIPTS.irish!))
  .map(([p, n]) => p + n);

/** How a rep may type a name the CRM has. */
const SPELLINGS: ((s: string) => string)[] = [
  (s) => s,
  (s) => s.normalize('NFD'),
  (s) => s.toUpperCase(),
  (s) => s.replace(/ß/g, 'ss').replace(/ä/g, 'ae').replace(/ö/g, 'oe').replace(/ü/g, 'ue'),
  (s) =>
    s
      .replace(/[łŁ]/g, (c) => (c === 'ł' ? 'l' : 'L'))
      .replace(/ı/g, 'i')
      .replace(/İ/g, 'I')
      .replace(/[đĐ]/g, (c) => (c === 'đ' ? 'd' : 'D'))
      .normalize('NFD')
      .replace(/\p{M}/gu, ''),
  (s) => s.replace(/'/g, '’'),
];

const FRAMES = [
  '{N} hat angerufen, Rückruf bitte.',
  'Rückruf bei Frau {N} wegen Angebot.',
  'Called {N}; {N}s Angebot folgt.',
  '({N}) bittet um Termin.',
  'Mit {N}, {N} und dem Team.',
];

const PLACEHOLDER_TOUCHES_LETTER = /[\p{L}\p{M}]\[\[[A-Z]+_\d+\]\]|\[\[[A-Z]+_\d+\]\][\p{L}\p{M}]/u;

function survives(value: string, output: string): boolean {
  const needle = fold(value);
  return needle.length > 0 && ` ${fold(output).replace(/[^\p{L}\p{N}]+/gu, ' ')} `.includes(` ${needle} `);
}

describe('Unicode names (property tests)', () => {
  it('a known value never survives, in any script or spelling, and no placeholder touches a letter', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyName, irishStyle),
        anyName,
        fc.nat(SPELLINGS.length - 1),
        fc.nat(FRAMES.length - 1),
        (last, first, spelling, frame) => {
          const ps = new Pseudonymiser({ firstname: first, lastname: last });
          const noted = SPELLINGS[spelling]!(last);
          const out = ps.pseudonymise(FRAMES[frame]!.replaceAll('{N}', noted));
          expect(out).not.toMatch(PLACEHOLDER_TOUCHES_LETTER);
          expect(survives(last, out), `${noted} in ${out}`).toBe(false);
        },
      ),
      fuzzParams(400),
    );
  });

  it('names the CRM does not know: no placeholder touches a letter, and a cued name is hidden whole', () => {
    fc.assert(
      fc.property(
        fc.oneof(anyName, irishStyle),
        fc.constantFrom('Frau', 'Herr', 'Dr.', 'Kollegin', 'Hausmeister', 'colleague'),
        (name, cue) => {
          const out = new Pseudonymiser({}).pseudonymise(`Rückruf: ${cue} ${name} meldet sich morgen.`);
          expect(out).not.toMatch(PLACEHOLDER_TOUCHES_LETTER);
          expect(out, out).not.toContain(name);
        },
      ),
      fuzzParams(300),
    );
  });

  it('the property check itself fails on a placeholder that cuts a name', () => {
    expect('Mr. [[PERSON_1]]ễn').toMatch(PLACEHOLDER_TOUCHES_LETTER);
    expect('[[PERSON_1]]łoński').toMatch(PLACEHOLDER_TOUCHES_LETTER);
    expect("[[PERSON_1]]'s Angebot").not.toMatch(PLACEHOLDER_TOUCHES_LETTER);
    expect(survives('Wiśniewska', '[[PERSON_2]] Wisniewska')).toBe(true);
  });
});
