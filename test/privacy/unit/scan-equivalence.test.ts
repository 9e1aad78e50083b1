import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifySensitive } from '../../../src/privacy/dlp.ts';
import { identifierSpans, type IdentifierSpan } from '../../../src/privacy/identifiers.ts';
import { templateWords, wordsOnly } from '../../../src/privacy/leak-guard.ts';
import { capitalWords } from '../../../src/privacy/names.ts';
import { resolveOverlaps, type EntityType, type Span } from '../../../src/privacy/recognisers.ts';
import { fold, foldWhole, skeleton } from '../../../src/privacy/text.ts';

/**
 * The fast paths of the privacy scan against their plain definitions: folding character by
 * character against folding the whole string, the hand-written capitalised-word scan against its
 * regex, overlap resolution by groups against one ranking of all spans, the DLP lexicon line by line
 * against the whole text. Any difference here is a difference in what gets hidden or blocked.
 */
const PIECES = [
  ...'aeouAEOUxZäöüÄÖÜßẞłŁİıéè',
  '\u0301',
  '\u0308',
  ' ',
  '  ',
  '-',
  '_',
  '\t',
  '\n',
  "'",
  '’',
  '`',
  '´',
  'ʼ',
  '‐',
  '–',
  '1',
  '.',
  '@',
  '😀',
  'Σ',
  'σ',
  'ж',
  'Ж',
  'ğ',
  'Ş',
  'ø',
  'æ',
  'œ',
  'þ',
  'đ',
  'ﬁ',
  'ǅ',
  '\u00a0',
  '\ufeff',
  '\u1ffd',
  '\ud800',
  '\udc00',
  '𐐀',
  'ae',
  'ue',
  'Oe',
  'Müller',
  'Nguyễn',
  'O’Brien',
  'Al-Masri',
];
const text = (pieces: readonly string[] = PIECES, maxLength = 30) =>
  fc.array(fc.constantFrom(...pieces), { maxLength }).map((p) => p.join(''));

describe('privacy scan fast paths', () => {
  it("the leak guard's template, folded part by part, equals folding the joined text", () => {
    fc.assert(
      fc.property(fc.array(text(), { maxLength: 5 }), (parts) => {
        expect(templateWords(parts)).toBe(templateWords([parts.join('\n')]));
      }),
      { numRuns: 3000 },
    );
  });

  it("the leak guard's words are its regex's: each run of other characters one space", () => {
    const extra = ['%', '+', '„', '“', '…', '\u00a0', '٣', 'Ⅻ', '𝐀', '\ud800', '\udc00', '!', '/', ':', 'ß'];
    fc.assert(
      fc.property(text([...PIECES, ...extra], 40), (s) => {
        expect(wordsOnly(s)).toBe(s.replace(/[^\p{L}\p{N}@._%+-]+/gu, ' '));
      }),
      { numRuns: 5_000 },
    );
  });

  it('fold equals folding the whole string', () => {
    fc.assert(
      fc.property(text(), (s) => {
        expect(fold(s)).toBe(foldWhole(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('the skeleton is the folded text with its separators, each character mapped back to its source', () => {
    fc.assert(
      fc.property(
        // Σ folds by its neighbours in `fold` only; U+1FFD decomposes to an accent the skeleton keeps.
        text(PIECES.filter((p) => !p.includes('Σ') && p !== '\u1ffd')),
        (s) => {
          const sk = skeleton(s);
          expect(sk.text.trim()).toBe(fold(s));
          for (let k = 0; k < sk.text.length; k++) {
            expect(sk.start[k]).toBeLessThan(sk.end[k]!);
            if (k > 0) {
              expect(sk.start[k]).toBeGreaterThanOrEqual(sk.start[k - 1]!);
              expect(sk.end[k]).toBeGreaterThanOrEqual(sk.end[k - 1]!);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('capitalised words are the matches of their regex, not after a letter, digit or apostrophe', () => {
    const reference = (s: string) => {
      const words: [string, number, number][] = [];
      for (const m of s.matchAll(/\p{Lu}[\p{L}\p{M}'’-]*/gu)) {
        if (m.index > 0 && /[\p{L}\p{M}\p{N}'’]/u.test(s[m.index - 1]!)) continue;
        const w = m[0].replace(/['’-]+$/, '');
        words.push([w, m.index, m.index + w.length]);
      }
      return words;
    };
    fc.assert(
      fc.property(text([...PIECES, 'A', 'Ä', ' Frau ', "'s", '-', '9'], 40), (s) => {
        expect(capitalWords(s).map((w) => [w.text, w.start, w.end])).toEqual(reference(s));
      }),
      { numRuns: 3000 },
    );
  });

  it('overlaps are resolved as by one ranking of all spans', () => {
    const PRIORITY: Record<string, number> = {
      EMAIL: 9,
      URL: 9,
      IBAN: 8,
      CARD: 8,
      TAXID: 7,
      SSN: 7,
      DOB: 7,
      ADDRESS: 6,
      IP: 6,
      PHONE: 5,
      PERSON: 4,
    };
    const reference = (spans: Span[], blocked: [number, number][]) => {
      const sorted = [...spans].sort(
        (a, b) =>
          b.end - b.start - (a.end - a.start) || PRIORITY[b.type]! - PRIORITY[a.type]! || a.start - b.start,
      );
      const taken = new Uint8Array(200);
      for (const [a, b] of blocked) taken.fill(1, a, b);
      const kept: Span[] = [];
      for (const s of sorted) {
        if (s.end <= s.start || taken.subarray(s.start, s.end).some((x) => x === 1)) continue;
        taken.fill(1, s.start, s.end);
        kept.push(s);
      }
      return kept.sort((a, b) => a.start - b.start);
    };
    const span = fc
      .tuple(fc.nat(120), fc.nat(25), fc.constantFrom(...(Object.keys(PRIORITY) as EntityType[])))
      .map(([start, length, type]): Span => ({ type, start, end: start + length - 2 }));
    const range = fc.tuple(fc.nat(120), fc.nat(15)).map(([a, l]): [number, number] => [a, a + l]);
    fc.assert(
      fc.property(fc.array(span, { maxLength: 30 }), fc.array(range, { maxLength: 4 }), (spans, blocked) => {
        expect(resolveOverlaps([...spans], blocked)).toEqual(reference(spans, blocked));
      }),
      { numRuns: 3000 },
    );
  });

  it('the DLP lexicon finds the same spans in a multi-line text as line by line', () => {
    const FRAGMENTS = [
      'Sie ist türkischstämmig',
      'er hat deutsche Wurzeln',
      'die sorbische Minderheit',
      'of Irish descent',
      'SPD-Mitglied',
      'sitzt für die Grünen im Stadtrat',
      'Labour councillor',
      'Krebs',
      'Knie-OP',
      'Gesundheitsbranche',
      'Betriebsrat',
      'Unite rep',
      'hat MS',
      'MS Teams',
      'GMB member',
      'ganz normal',
      'Angebot',
      'x',
      ' ',
      '. ',
      ', ',
    ];
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 5 }).map((p) => p.join(' ')),
          { minLength: 1, maxLength: 6 },
        ),
        (lines) => {
          const whole = classifySensitive(lines.join('\n')).spans;
          const byLine: typeof whole = [];
          let offset = 0;
          for (const line of lines) {
            for (const s of classifySensitive(line).spans)
              byLine.push({ ...s, start: s.start + offset, end: s.end + offset });
            offset += line.length + 1;
          }
          expect(whole).toEqual(byLine);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('identifier cues count only at the start of a word', () => {
    const found = (s: string) => {
      const out: IdentifierSpan[] = [];
      identifierSpans(s, out);
      return out.map((o) => [o.type, s.slice(o.start, o.end)]);
    };
    expect(found('SSN 65 170839 J 003, Reisepass C01X00T47')).toEqual([
      ['SSN', '65 170839 J 003'],
      ['IDDOC', 'C01X00T47'],
    ]);
    expect(found('xSSN 65 170839 J 003, ÄReisepass C01X00T47, Ÿgeb. 01.02.1980')).toEqual([]);
    expect(found('(geb. 01.02.1980)')).toEqual([['DOB', 'geb. 01.02.1980']]);
  });
});
