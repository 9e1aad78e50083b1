import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Word knowledge for name detection, from maintained dataset packages (none of them generates test
 * data): given names of many origins from `gender-detection-from-name` (~67,000 names: de, en, es,
 * fr, it, tr lists), and the German and English vocabulary from the Hunspell word lists of
 * `dictionary-de` and `dictionary-en`. The word lists are read directly (stems plus a light German
 * and English morphology and compound split) instead of through a full Hunspell engine: nspell took
 * about 1.1 s and 130 MB to load the German affix rules and still rejected compounds such as
 * "Hausmeister". Loaded once, on first use.
 */
const require = createRequire(import.meta.url);

let given: ReadonlySet<string> | undefined;
let vocabulary: Vocabulary | undefined;

interface Vocabulary {
  english: ReadonlySet<string>;
  german: ReadonlySet<string>;
}

// Each list is a CommonJS module of one `new Map([['anna', 'female'], ...])`. Read as text: compiling
// and keeping the six modules (their Maps and code) held about 9 MB more heap than the name set.
const ENTRY = /\[\s*'([^'\\]+)'\s*,\s*'[a-z]+'\s*\]/g;

/** The given names of one list of `gender-detection-from-name` (lower case, as the package has them). */
export function givenNamesOf(lang: string): string[] {
  const file = require.resolve(`gender-detection-from-name/names/${lang}.js`);
  const text = readFileSync(file, 'utf8');
  const names = Array.from(text.matchAll(ENTRY), (m) => m[1]!);
  // A list in a shape this reader does not know: load the module (correct, just heavier).
  if (names.length < 100) return [...(require(file) as Map<string, string>).keys()];
  return names;
}

function loadGiven(): ReadonlySet<string> {
  const names = new Set<string>();
  for (const lang of ['de', 'en', 'es', 'fr', 'it', 'tr'])
    for (const name of givenNamesOf(lang)) names.add(name.normalize('NFC'));
  return names;
}

/**
 * Common words (lower case). English: only lower-case entries (capitalised ones are mostly proper
 * names). German: lower-case entries and capitalised ones with noun flags; entries with no flag or
 * only the genitive "S" are proper names and brands ("Anna/S", "Schmidt/S") and stay out.
 */
function loadVocabulary(): Vocabulary {
  const en = new Set<string>();
  const de = new Set<string>();
  const names = givenNames();
  const read = (
    pkg: string,
    keepCapitalised: (flags: string, word: string) => boolean,
    into: Set<string>,
  ) => {
    // The packages export only their loader; the word list sits next to it.
    const text = readFileSync(new URL('index.dic', import.meta.resolve(pkg)), 'utf8');
    for (const line of text.split('\n')) {
      const slash = line.indexOf('/');
      const word = (slash === -1 ? line : line.slice(0, slash)).trim();
      if (!word || /\d/.test(word)) continue;
      const flags = slash === -1 ? '' : line.slice(slash + 1).trim();
      const first = word[0]!;
      if (first === first.toLowerCase() || keepCapitalised(flags, word))
        into.add(word.toLowerCase().normalize('NFC'));
    }
  };
  read('dictionary-en', () => false, en);
  // A German noun that is also a given name ("Rose", "Peter") is left to the name rules.
  read('dictionary-de', (flags, word) => flags !== '' && flags !== 'S' && !names.has(word.toLowerCase()), de);
  // No third set for the union of both: every look-up asks each language anyway (about 2.5 MB less).
  return { english: en, german: de };
}

/** Business and software words that a dictionary may not know but are never a person's name. */
const BUSINESS_TERMS = new Set([
  'webinar',
  'showroom',
  'demo',
  'update',
  'upgrade',
  'release',
  'software',
  'hardware',
  'cloud',
  'portal',
  'team',
  'teams',
  'outlook',
  'excel',
  'sharepoint',
  'azure',
  'linkedin',
  'xing',
  'zoom',
  'webex',
  'hubspot',
  'salesforce',
  'sap',
  'google',
  'microsoft',
  'amazon',
  'apple',
  'android',
  'iphone',
  'ipad',
  'windows',
  'office',
  'leasing',
  'rollout',
  'onboarding',
  'workshop',
  'meeting',
  'call',
  'callback',
  'follow',
  'feedback',
  'quote',
  'invoice',
  'po',
  'kw',
  'q1',
  'q2',
  'q3',
  'q4',
  'gmbh',
  'ag',
  'kg',
  'ug',
  'se',
  'inc',
  'ltd',
  'llc',
  'plc',
  'holding',
  'group',
  'gruppe',
  'konzern',
  'werk',
  'standort',
  'filiale',
  'lager',
  'halle',
  'einkauf',
  'vertrieb',
  'buchhaltung',
  'controlling',
  'logistik',
  'marketing',
  'personal',
  'technik',
  'instandhaltung',
  'produktion',
  'qualität',
  'it',
  'hr',
  'procurement',
  'finance',
  'accounts',
  'operations',
  'sales',
  'support',
  'service',
  'warehouse',
  'reception',
  'security',
  'legal',
  'compliance',
  'montag',
  'dienstag',
  'mittwoch',
  'donnerstag',
  'freitag',
  'samstag',
  'sonntag',
  'januar',
  'februar',
  'märz',
  'april',
  'mai',
  'juni',
  'juli',
  'august',
  'september',
  'oktober',
  'november',
  'dezember',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
  'january',
  'february',
  'march',
  'june',
  'july',
  'october',
  'december',
  'easter',
  'christmas',
  'ostern',
  'weihnachten',
  'pfingsten',
  'messe',
  'ausschreibung',
  'angebot',
  'rückruf',
  'termin',
  'info',
  'notiz',
  'fyi',
  'heads',
  'bitte',
  'kurz',
]);

export function givenNames(): ReadonlySet<string> {
  return (given ??= loadGiven());
}

function vocab(): Vocabulary {
  return (vocabulary ??= loadVocabulary());
}

/** A plain English word (lower-case dictionary entry), uninflected: "Will", "Grant", "Page". */
export function isEnglishWord(word: string): boolean {
  return vocab().english.has(word.toLowerCase());
}

const DE_ENDINGS = ['innen', 'ern', 'nen', 'en', 'er', 'es', 'in', 'e', 'n', 's'];
const EN_ENDINGS = ['ies', 'es', 's', 'ed', 'ing'];
const LINKS = ['', 's', 'n', 'en', 'es', 'er', 'e'];

function inflectedDe(w: string, words: ReadonlySet<string>): boolean {
  if (words.has(w)) return true;
  // Nouns made from verbs by the affix rules the list is not expanded with: "Verlängerung(en)" from
  // "verlängern", "Bestellung" from "bestellen".
  const ung = w.endsWith('ungen') ? w.slice(0, -5) : w.endsWith('ung') ? w.slice(0, -3) : undefined;
  if (ung && ung.length >= 3 && (words.has(`${ung}n`) || words.has(`${ung}en`))) return true;
  for (const e of DE_ENDINGS)
    if (w.length > e.length + 2 && w.endsWith(e) && words.has(w.slice(0, -e.length))) return true;
  return false;
}

function inflectedEn(w: string, words: ReadonlySet<string>): boolean {
  if (words.has(w)) return true;
  for (const e of EN_ENDINGS)
    if (
      w.length > e.length + 2 &&
      w.endsWith(e) &&
      (words.has(w.slice(0, -e.length)) || (e === 'ies' && words.has(`${w.slice(0, -3)}y`)))
    )
      return true;
  return false;
}

/** A dictionary word itself or inflected, not only as part of a compound ("Technik", not "Lindenfels"). */
export function isPlainWord(word: string): boolean {
  const w = word.toLowerCase().normalize('NFC');
  const { english, german: de } = vocab();
  return BUSINESS_TERMS.has(w) || inflectedDe(w, de) || inflectedEn(w, english);
}

/** A German dictionary word itself or inflected ("Verlängerung"), not an English one ("Soar"). */
export function isGermanWord(word: string): boolean {
  return inflectedDe(word.toLowerCase().normalize('NFC'), vocab().german);
}

const cache = new Map<string, boolean>();

/** Is this word part of the German or English vocabulary (inflected forms and German compounds included)? */
export function isCommonWord(word: string): boolean {
  // Cached by the word as written: no case folding or normalisation on the hot path.
  const cached = cache.get(word);
  if (cached !== undefined) return cached;
  const w = word.toLowerCase().normalize('NFC');
  const { english, german: de } = vocab();
  let common = BUSINESS_TERMS.has(w) || inflectedDe(w, de) || inflectedEn(w, english);
  if (!common && w.includes('-')) {
    // "Showroom-Konzept", "IT-Leiter": the last part carries the meaning.
    const parts = w.split('-').filter(Boolean);
    common = parts.length > 0 && isCommonWord(parts.at(-1)!);
  }
  // German compounds: a known German head word (4+ letters) ending the token, a known German word
  // (with a linking letter) before it. English words are too short and many to split by.
  for (let i = 3; !common && i <= w.length - 4; i++) {
    const tail = w.slice(i);
    if (!inflectedDe(tail, de)) continue;
    const head = w.slice(0, i);
    common = LINKS.some(
      (l) => head.length > l.length + 2 && head.endsWith(l) && de.has(head.slice(0, head.length - l.length)),
    );
  }
  if (cache.size > 50_000) cache.clear();
  cache.set(word, common);
  return common;
}
