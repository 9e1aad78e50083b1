import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { SensitiveCategory } from '../policy.ts';
import { WordStartMatcher, type WordStartHit } from './word-start-matcher.ts';

/**
 * The category vocabularies of data/special-categories.json, beside the lexicon of dlp.ts: terms
 * that name a category on their own, and organisations (parties, unions) that do so only next to one
 * of the category's cues in the same sentence ("… is a member of the SNP", "stands for the Landtag for the SPD") or glued
 * to a compound ("CSU-Kreisverband", "GEW-Mitglied"). Both languages; phrasings, not example sentences.
 */
const Vocabulary = z.object({
  terms: z.array(z.string()),
  names: z.array(z.string()),
  cues: z.array(z.string()),
});
const VocabularyFile = z.object({
  political: Vocabulary,
  trade_union: Vocabulary,
  ethnic_origin: Vocabulary,
  sex_life: Vocabulary,
  religion: Vocabulary,
  health: Vocabulary,
});
type Covered = keyof z.infer<typeof VocabularyFile>;

export interface VocabularySpan {
  category: SensitiveCategory;
  start: number;
  end: number;
}

const FILE = VocabularyFile.parse(
  JSON.parse(readFileSync(new URL('./data/special-categories.json', import.meta.url), 'utf8')),
);
const CATEGORIES = Object.keys(VocabularyFile.shape) as Covered[];
// Start of a word (terms may continue into compounds); Latin letters only: a non-unicode regex is faster.
const B = '(?<![A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F])';
const AFTER = '(?![A-Za-z0-9\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F])';
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const TERMS = new WordStartMatcher(
  CATEGORIES.flatMap((c) => FILE[c].terms.map((source) => ({ tag: c, source }))),
);
const WITH_NAMES = CATEGORIES.filter((c) => FILE[c].names.length > 0);
const NAMES = new RegExp(
  `${B}(?:${WITH_NAMES.map((c) => `(?<${c}>${FILE[c].names.map(escape).join('|')})`).join('|')})${AFTER}`,
  'g',
);
const CUES = Object.fromEntries(
  WITH_NAMES.map((c) => [c, new RegExp(`${B}(?:${FILE[c].cues.join('|')})`)]),
) as Record<Covered, RegExp>;

const groupOf = (m: RegExpExecArray, among: readonly Covered[]): Covered =>
  among.find((c) => m.groups![c] !== undefined)!;

/** The sentence around [start, end): up to the nearest ".", "!", "?", ";" or line break. */
function sentenceAround(text: string, start: number, end: number): string {
  let a = start;
  while (a > 0 && !'.!?;\n'.includes(text[a - 1]!)) a--;
  let b = end;
  while (
    b < text.length &&
    !'!?;\n'.includes(text[b]!) &&
    !(text[b] === '.' && /\s|$/.test(text[b + 1] ?? ''))
  )
    b++;
  return text.slice(a, b);
}

/** Category hits of the vocabularies; `lower` is `text` lower-cased (same length), both masked alike. */
export function vocabularySpans(text: string, lower: string, out: VocabularySpan[]): void {
  const hits: WordStartHit<Covered>[] = [];
  TERMS.scan(lower, hits);
  for (const h of hits) out.push({ category: h.tag, start: h.start, end: h.end });
  NAMES.lastIndex = 0;
  for (let m = NAMES.exec(text); m; m = NAMES.exec(text)) {
    const category = groupOf(m, WITH_NAMES);
    const end = m.index + m[0].length;
    const compound = text[end] === '-' && /[A-Za-zÄÖÜäöü]/.test(text[end + 1] ?? '');
    if (compound || CUES[category].test(sentenceAround(lower, m.index, end)))
      out.push({ category, start: m.index, end });
  }
}
