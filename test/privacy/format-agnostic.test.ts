import fc from 'fast-check';
import { fuzzParams } from '../fuzz/support.ts';
import { describe, expect, it } from 'vitest';
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';

/**
 * Property tests for the format-agnostic rules of issue 28: what a cue or a checksum announces is
 * hidden whatever its case, grouping, separators or script. Values are generated, never listed.
 */
const PLACEHOLDER = /\[\[[A-Z]+_\d+\]\]/g;
const digitsOf = (s: string) => s.replace(PLACEHOLDER, ' ').replace(/\D/g, '');
const run = (text: string) => new Pseudonymiser({}).pseudonymise(text);

/** A valid IBAN for a country and a digit-only BBAN (ISO 13616 check digits). */
function iban(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  let rem = 0;
  for (const d of rearranged) rem = (rem * 10 + Number(d)) % 97;
  return `${country}${String(98 - rem).padStart(2, '0')}${bban}`;
}

/** `value` cut into groups of 1–6 characters joined by one separator each (or none). */
const grouped = (value: string, separators: string[]) =>
  fc
    .array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.constantFrom(...separators)), {
      minLength: 1,
      maxLength: 12,
    })
    .map((cuts) => {
      let out = '';
      let i = 0;
      for (const [size, sep] of cuts) {
        if (i >= value.length) break;
        out += value.slice(i, i + size) + (i + size < value.length ? sep : '');
        i += size;
      }
      return out + value.slice(i);
    });

const IBAN_COUNTRIES: [string, number][] = [
  ['DE', 18],
  ['AT', 16],
  ['CH', 17],
  ['PL', 24],
  ['HU', 24],
  ['BE', 12],
  ['FI', 14],
];

describe('format-agnostic identifiers (property tests)', () => {
  it('any grouping and case of a valid IBAN is hidden', () => {
    const arb = fc
      .tuple(fc.constantFrom(...IBAN_COUNTRIES), fc.infiniteStream(fc.integer({ min: 0, max: 9 })))
      .map(([[country, length], digits]) => iban(country, [...digits.take(length)].join('')))
      .chain((value) =>
        fc.tuple(
          fc.constant(value),
          grouped(value.slice(4), [' ', '-', '.', '']),
          fc.boolean(),
          fc.boolean(),
        ),
      );
    fc.assert(
      fc.property(arb, ([value, rest, lower, spaced]) => {
        const head = spaced ? `${value.slice(0, 2)} ${value.slice(2, 4)}` : value.slice(0, 4);
        const written = `${head} ${rest}`;
        const out = run(`Bitte die Gutschrift auf ${lower ? written.toLowerCase() : written} buchen.`);
        expect(digitsOf(out)).not.toContain(value.slice(4));
      }),
      fuzzParams(300),
    );
  });

  it('any separator in a digit run after an identifier cue is hidden, the run whole', () => {
    const cues = [
      'Steuer-ID',
      'St.-Nr.',
      'tax ID',
      'Perso-Nr.',
      'passport no',
      'Ausweisnummer',
      'SV-Nr.',
      'Konto',
      'account no',
      'Tel',
      'mobil',
      'Führerschein',
    ];
    const arb = fc
      .tuple(fc.constantFrom(...cues), fc.stringMatching(/^[1-9]\d{7,11}$/))
      .chain(([cue, digits]) =>
        fc.tuple(fc.constant(cue), fc.constant(digits), grouped(digits, [' ', '/', '-', '.', ''])),
      );
    fc.assert(
      fc.property(arb, ([cue, digits, written]) => {
        const out = run(`Neu im Vertrag: ${cue}: ${written}, danke.`);
        expect(digitsOf(out)).not.toContain(digits.slice(0, 6));
        expect(digitsOf(out)).not.toContain(digits.slice(-6));
      }),
      fuzzParams(300),
    );
  });

  it('a name in any script after a person cue is hidden', () => {
    // Letters of cased and uncased scripts; a name is 3–8 of them (capitalised where the script has case).
    const scripts: [string, string][] = [
      ['Latin (foreign letters)', 'ąćęłńśźżğışřțőűåøæñãõ'],
      ['Cyrillic', 'абвгдежзиклмнопрстуфхцчшщыэюя'],
      ['Greek', 'αβγδεζηθικλμνξοπρστυφχψω'],
      ['Arabic', 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي'],
      ['Han', '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗'],
      ['Hebrew', 'אבגדהוזחטיכלמנסעפצקרשת'],
      ['Devanagari', 'कखगघचछजझटठडढतथदधनपफबभमयरलवशसह'],
      ['Georgian', 'აბგდევზთიკლმნოპჟრსტუფქღყშჩცძწჭხჯჰ'],
    ];
    const cues = [
      'Herr',
      'Frau',
      'Mr.',
      'Ms.',
      'Dr.',
      'Kollegin',
      'Ansprechpartner',
      'sprach mit',
      'spoke with',
      'colleague',
    ];
    const arb = fc
      .tuple(
        fc.constantFrom(...scripts),
        fc.constantFrom(...cues),
        fc.integer({ min: 3, max: 8 }),
        fc.infiniteStream(fc.nat()),
      )
      .map(([[, letters], cue, length, picks]) => {
        const chars = [...letters];
        const word = [...picks.take(length)].map((p) => chars[p % chars.length]!).join('');
        return { cue, name: word[0]!.toUpperCase() + word.slice(1) };
      });
    fc.assert(
      fc.property(arb, ({ cue, name }) => {
        const out = run(`Rückruf: ${cue} ${name} meldet sich morgen wegen des Angebots.`);
        expect(out).not.toContain(name);
      }),
      fuzzParams(300),
    );
  });
});
