import { readFileSync } from 'node:fs';

/**
 * Name evidence that does not depend on having seen the person: first- and last-name lists of many
 * locales (data/*-names.txt, generated from faker by tools/privacy/name-lists.ts), letters foreign to
 * German and English, scripts other than Latin; and the counter-evidence that a capitalised word is
 * a place (data/places.txt, GeoNames) or vocabulary that is never a name (data/not-names.txt).
 * Lists load once, on first use.
 */
function wordList(file: string): ReadonlySet<string> {
  const text = readFileSync(new URL(`./data/${file}`, import.meta.url), 'utf8');
  const words = new Set<string>();
  for (const line of text.split('\n')) {
    const w = line.trim();
    if (w && !w.startsWith('#')) words.add(w);
  }
  return words;
}

let firstNames: ReadonlySet<string> | undefined;
let lastNames: ReadonlySet<string> | undefined;
let places: ReadonlySet<string> | undefined;
let notNames: ReadonlySet<string> | undefined;

/** In a list as written or with "ß" as "ss" (lists of some locales spell it so: "Großmann", "Grossmann"). */
const listed = (list: ReadonlySet<string>, lower: string): boolean =>
  list.has(lower) || (lower.includes('ß') && list.has(lower.replace(/ß/g, 'ss')));
/** On the first-name list of some locale (lower-case NFC word). */
export const isListedFirstName = (lower: string): boolean =>
  listed((firstNames ??= wordList('first-names.txt')), lower);
/** On the last-name list of some locale. */
export const isListedLastName = (lower: string): boolean =>
  listed((lastNames ??= wordList('last-names.txt')), lower);
/** A city, town or country name (one word or several, lower case). */
export const isPlace = (lower: string): boolean => (places ??= wordList('places.txt')).has(lower);
/** A faith, feast, people, nationality or language: never a person on its own. */
export const isNeverName = (lower: string): boolean => (notNames ??= wordList('not-names.txt')).has(lower);

// Latin letters German and English write (ä, ö, ü, ß and the plain alphabet); any other letter with a
// diacritic (ı, ğ, ş, ł, ř, ș, ő, ñ, ă, ỳ …) or of another script marks a word as foreign to the note.
const NATIVE = /^[A-Za-zÄÖÜäöüß'’-]*$/;
const LETTER = /\p{L}/u;

/** Whether a word has a letter that German and English do not use. */
export function hasForeignLetters(word: string): boolean {
  if (NATIVE.test(word)) return false;
  for (const ch of word) if (LETTER.test(ch) && !NATIVE.test(ch)) return true;
  return false;
}

// Scripts without letter case: their names have no capital to find them by.
const UNCASED =
  /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Tamil}\p{Script=Thai}\p{Script=Georgian}\p{Script=Ethiopic}\p{Script=Gujarati}\p{Script=Gurmukhi}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Khmer}\p{Script=Lao}\p{Script=Myanmar}\p{Script=Tibetan}\p{Script=Thaana}\p{Script=Syriac}]/u;
const UNCASED_RUN = new RegExp(
  `${UNCASED.source.slice(0, -1)}\\p{M}]+(?:[ \\u00B7\\u30FB-]${UNCASED.source.slice(0, -1)}\\p{M}]+)*`,
  'gu',
);

/**
 * Words in a script without case, in a German or English note: names (a name written in its own
 * script), found as whole runs. A quick test first: most notes have no such character.
 */
export function uncasedScriptRuns(text: string): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  // These scripts all lie above U+0590: a plain loop rules most texts out before any regex runs.
  let any = false;
  for (let i = 0; i < text.length && !any; i++) {
    const c = text.charCodeAt(i);
    any = c >= 0x0590 && (c < 0x1e00 || c > 0x20cf) && UNCASED.test(text[i]!);
  }
  if (!any) return found;
  for (const m of text.matchAll(UNCASED_RUN)) found.push({ start: m.index, end: m.index + m[0].length });
  return found;
}
