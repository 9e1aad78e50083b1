import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { WordStartMatcher, type WordStartHit } from './word-start-matcher.ts';

/**
 * Identifier values found by their cue, not by their format: after "Steuer-ID", "Perso-Nr.", "tel",
 * "account no" … the next value is personal whatever its case, grouping, separators or length
 * (default deny). The cue lists are data (data/identifier-cues.json).
 */
export type CuedType = 'TAXID' | 'SSN' | 'IDDOC' | 'IBAN' | 'PHONE';

export interface CuedSpan {
  type: CuedType;
  start: number;
  end: number;
}

const CueFile = z.object({
  TAXID: z.array(z.string()),
  SSN: z.array(z.string()),
  IDDOC: z.array(z.string()),
  IBAN: z.array(z.string()),
  PHONE: z.array(z.string()),
});

const CUES = CueFile.parse(
  JSON.parse(readFileSync(new URL('./data/identifier-cues.json', import.meta.url), 'utf8')),
);
const TYPES = Object.keys(CueFile.shape) as CuedType[];

// Tried only at word starts (see word-start-matcher.ts); the cue must end a word (".", ":", "-Nr." may follow).
const CUE_MATCHER = new WordStartMatcher(
  TYPES.flatMap((t) => CUES[t].map((cue) => ({ tag: t, source: `${cue}(?![a-zäöüß])` }))),
);
// Between cue and value: punctuation, "Nr."/"no.", and up to three short words ("ist", "lautet", "of him").
const FILLER =
  /^(?:[\s.:#=()-]|\b(?:nr|no|nummer|number|num)\b\.?)*(?:(?:[A-Za-zÄÖÜäöüß]{1,12})[\s:]+){0,3}?(?=[+(]?[A-Za-z]{0,4}\d)/i;

/** The fewest digits a value after a cue of this type has. */
const MIN_DIGITS: Record<CuedType, number> = { TAXID: 5, SSN: 5, IDDOC: 2, IBAN: 6, PHONE: 5 };

const isAlnum = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isDigit = (c: number) => c >= 48 && c <= 57;
const SEPARATORS = ' ./-()+';

/**
 * The value starting at `from`: groups of letters and digits joined by one separator each. A group
 * without a digit belongs to it only when short and followed by a group with one ("M-AB 1234").
 */
export function valueEnd(text: string, from: number): number {
  let i = from;
  let end = from;
  while (i < text.length) {
    const groupStart = i;
    let digits = 0;
    while (i < text.length && isAlnum(text.charCodeAt(i))) digits += isDigit(text.charCodeAt(i++)) ? 1 : 0;
    if (i === groupStart) {
      // A leading "+" or "(" of a phone number.
      if (end === from && (text[i] === '+' || text[i] === '(')) {
        i++;
        continue;
      }
      break;
    }
    if (digits === 0) {
      const next = nextGroupHasDigit(text, i);
      if (i - groupStart > 4 || !next) break;
    }
    end = i;
    if (text[i] === ')') i++;
    if (i < text.length && SEPARATORS.includes(text[i]!) && i + 1 < text.length) {
      // One separator, or " / " and " - " with spaces around.
      const j = text[i] === ' ' && '/-'.includes(text[i + 1] ?? '') && text[i + 2] === ' ' ? i + 3 : i + 1;
      if (!isAlnum(text.charCodeAt(j)) && text[j] !== '(') break;
      i = j;
    } else break;
  }
  return end;
}

function nextGroupHasDigit(text: string, i: number): boolean {
  if (!SEPARATORS.includes(text[i] ?? '\n')) return false;
  let j = i + 1;
  while (j < text.length && isAlnum(text.charCodeAt(j))) {
    if (isDigit(text.charCodeAt(j))) return true;
    j++;
  }
  return false;
}

const LETTER_BEFORE = /[\p{L}\p{M}]/u;

export function cuedValueSpans(text: string, out: CuedSpan[]): void {
  const lower = text.toLowerCase();
  // A few letters lower-case to two characters ("İ"): then positions would shift, so none are lowered.
  const hits: WordStartHit<CuedType>[] = [];
  CUE_MATCHER.scan(lower.length === text.length ? lower : text, hits);
  let reached = 0;
  for (const hit of hits) {
    if (hit.start < reached || (hit.start > 0 && LETTER_BEFORE.test(text[hit.start - 1]!))) continue;
    const type = hit.tag;
    const after = hit.end;
    const filler = FILLER.exec(text.slice(after, after + 48));
    if (!filler) continue;
    const start = after + filler[0].length;
    const end = valueEnd(text, start);
    const value = text.slice(start, end);
    let digits = 0;
    for (let k = 0; k < value.length; k++) if (isDigit(value.charCodeAt(k))) digits++;
    if (digits < MIN_DIGITS[type] || (type === 'IDDOC' && value.replace(/[^A-Za-z0-9]/g, '').length < 5))
      continue;
    out.push({ type, start, end });
    reached = end;
  }
}
