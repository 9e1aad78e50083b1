import { givenNames, isCommonWord, isEnglishWord, isGermanWord, isPlainWord } from './lexicon.ts';
import {
  hasForeignLetters,
  isListedFirstName,
  isListedLastName,
  isNeverName,
  isPlace,
  uncasedScriptRuns,
} from './name-evidence.ts';
import { isBrand, legalFormStarts, opensLegalForm } from './organisations.ts';

/**
 * Person names the CRM did not announce, in German and English notes, in any script. A name is a
 * run of capitalised words, and it counts as a person by evidence, never by knowing the person:
 *
 * - a cue before it: an honorific or title ("Frau", "Mr", "Dr."), a role or kinship word ("Kollegin",
 *   "Hausmeister", "Sohn", "assistant", "daughter", any "…leiter"/"…manager"), or a verb or
 *   preposition that introduces people ("laut", "spoke to", "according to"), strong or weak;
 * - out-of-vocabulary evidence: the word is in neither the German nor the English dictionary
 *   (inflection and German compounds considered) nor the business-term list;
 * - a given-name list of many origins.
 *
 * A strong cue takes any run of unknown or given-name words; a weak cue (mit, und, with, from …)
 * or no cue needs two of them, or a given name. Runs followed by a company suffix or a model number,
 * all-caps words and a short brand list are not people.
 */
export interface NameSpan {
  start: number;
  end: number;
}

const HONORIFICS = new Set([
  'herr',
  'herrn',
  'frau',
  'fr.',
  'hr.',
  'dr.',
  'dr',
  'prof.',
  'prof',
  'mr',
  'mr.',
  'mrs',
  'mrs.',
  'ms',
  'ms.',
  'miss',
  'mx',
  'mx.',
  'sir',
  'dame',
  'madame',
  'monsieur',
  'signora',
  'signor',
  'pan',
  'pani',
  'bay',
  'bayan',
  'dipl.-ing.',
  'ing.',
  'mag.',
  'med.',
]);

/** Role, kinship and relation words after which a name follows. */
const ROLE_WORDS = new Set([
  'kollege',
  'kollegin',
  'kollegen',
  'chef',
  'chefin',
  'vorgesetzte',
  'vorgesetzter',
  'mitarbeiter',
  'mitarbeiterin',
  'assistent',
  'assistentin',
  'assistenz',
  'sekretär',
  'sekretärin',
  'ansprechpartner',
  'ansprechpartnerin',
  'kontaktperson',
  'kontakt',
  'hausmeister',
  'hausmeisterin',
  'geschäftsführer',
  'geschäftsführerin',
  'gf',
  'inhaber',
  'inhaberin',
  'leiter',
  'leiterin',
  'prokurist',
  'prokuristin',
  'vorstand',
  'architekt',
  'architekten',
  'architektin',
  'techniker',
  'technikerin',
  'ingenieur',
  'ingenieurin',
  'berater',
  'beraterin',
  'anwalt',
  'anwältin',
  'steuerberater',
  'steuerberaterin',
  'vertreter',
  'vertreterin',
  'stellvertreter',
  'stellvertreterin',
  'vertretung',
  'nachfolger',
  'nachfolgerin',
  'vorgänger',
  'vorgängerin',
  'einkäufer',
  'einkäuferin',
  'sachbearbeiter',
  'sachbearbeiterin',
  'disponent',
  'disponentin',
  'monteur',
  'fahrer',
  'fahrerin',
  'praktikant',
  'praktikantin',
  'azubi',
  'empfang',
  'pförtner',
  'pförtnerin',
  'meister',
  'meisterin',
  'sohn',
  'tochter',
  'ehemann',
  'ehefrau',
  'gatte',
  'gattin',
  'partner',
  'partnerin',
  'lebensgefährte',
  'lebensgefährtin',
  'bruder',
  'schwester',
  'vater',
  'mutter',
  'schwager',
  'schwägerin',
  'onkel',
  'tante',
  'neffe',
  'nichte',
  'enkel',
  'enkelin',
  'cousin',
  'cousine',
  'schwiegersohn',
  'schwiegertochter',
  'schwiegervater',
  'schwiegermutter',
  'freund',
  'freundin',
  'nachbar',
  'nachbarin',
  'colleague',
  'assistant',
  'secretary',
  'director',
  'ceo',
  'cfo',
  'cto',
  'coo',
  'owner',
  'founder',
  'deputy',
  'successor',
  'predecessor',
  'caretaker',
  'janitor',
  'engineer',
  'technician',
  'architect',
  'lawyer',
  'solicitor',
  'accountant',
  'buyer',
  'contact',
  'pa',
  'intern',
  'receptionist',
  'supervisor',
  'boss',
  'chair',
  'chairman',
  'chairwoman',
  'manager',
  'head',
  'lead',
  'son',
  'daughter',
  'wife',
  'husband',
  'brother',
  'sister',
  'father',
  'mother',
  'uncle',
  'aunt',
  'nephew',
  'niece',
  'cousin',
  'fiancé',
  'fiancée',
  'boyfriend',
  'girlfriend',
  'friend',
  'neighbour',
  'brother-in-law',
  'sister-in-law',
  'son-in-law',
  'daughter-in-law',
]);
/** Compound endings of role words: "Werkleiterin", "IT-Leiter", "Bauleiter", "Key-Account-Manager". */
const ROLE_SUFFIX =
  /(?:leiter|leiterin|meister|meisterin|chef|chefin|manager|managerin|beauftragte|beauftragter|referent|referentin|planer|planerin|assistentin|assistent|führer|führerin|vertreter|vertreterin)$/;

/** Verbs and phrases that introduce a person. */
const VERB_CUES = new Set([
  'laut',
  'namens',
  'heißt',
  'gez.',
  'cc',
  'spoke to',
  'spoke with',
  'talked to',
  'talked with',
  'met',
  'met with',
  'according to',
  'introduced by',
  'referred by',
  'ask for',
  'loop in',
  'grüße an',
  'gruß an',
  'empfehlung von',
  'vertreten durch',
  'zu händen',
  'z. hd.',
  'z.hd.',
  'per',
  'via',
  'copy',
  'signed',
  'sprach mit',
  'telefoniert mit',
  'gesprochen mit',
]);
/** Weak cues: people often follow them, but so do companies and places. */
const WEAK_CUES = new Set([
  'mit',
  'und',
  'sowie',
  'von',
  'oder',
  'with',
  'and',
  'from',
  'by',
  'or',
  'is',
  'ist',
  'are',
]);
/** Prepositions that introduce products, places and companies more often than people ("Interesse an …", "interested in …"). */
const THING_CUES = new Set([
  'an',
  'in',
  'im',
  'für',
  'for',
  'on',
  'zu',
  'zum',
  'zur',
  'über',
  'about',
  'at',
  'bei',
  'of',
  'auf',
  'nach',
  'to',
  'the',
  'der',
  'die',
  'das',
  'des',
  'dem',
  'den',
  'ein',
  'eine',
  'einen',
  'a',
  'an',
  'our',
  'their',
  'unser',
  'unsere',
  'ihr',
  'ihre',
]);

/** Words that are capitalised in a name position but never a name. */
const STOP = new Set([
  'Frau',
  'Herr',
  'Herrn',
  'Hr',
  'Fr',
  'Dr',
  'Prof',
  'Dipl',
  'Ing',
  'Mag',
  'Med',
  'Mr',
  'Mrs',
  'Ms',
  'Miss',
  'Mx',
  'Sir',
  'Dame',
  'Termin',
  'Rückruf',
  'Angebot',
  'Team',
  'Service',
  'Support',
  'Office',
  'Teams',
  'Outlook',
  'Excel',
  'Word',
  'GmbH',
  'AG',
  'KG',
]);
/** Brands and institutions built like a person's name ("Max Planck", "Hugo Boss", "Robert Bosch"). */
const BRANDS = new Set([
  'Benz',
  'Planck',
  'Dior',
  'Hilton',
  'Bosch',
  'Porsche',
  'Ferrari',
  'Lauren',
  'Kors',
  'Boss',
  'Disney',
  'Ford',
  'Oetker',
  'Zeiss',
  'Heinz',
  'Kellogg',
  'Fraunhofer',
  'Vuitton',
  'Chanel',
  'Lagerfeld',
  'Siemens',
  'Diesel',
  'Opel',
  'Mercedes',
  'Holle',
  'Pencil',
  'Deutsche',
]);
const COMPANY_SUFFIX =
  /^(?:GmbH|AG|KG|SE|UG|OHG|GbR|e\.V\.|eG|Inc\.?|Ltd\.?|LLC|PLC|Corp\.?|Co\.?|S\.A\.|S\.p\.A\.|B\.V\.|N\.V\.|AB|ApS|Oy|Holding|Group|Gruppe|&)[,.;:)]?$/;

/** Name particles, inside a run ("De Luca", "van der Berg", "Ó Briain", "Mac Giolla", "Ní Bhriain"). */
const PARTICLES = new Set([
  'von',
  'van',
  'de',
  'der',
  'den',
  'zu',
  'di',
  'da',
  'del',
  'della',
  'dos',
  'das',
  'du',
  'le',
  'la',
  'ter',
  'ten',
  'bin',
  'ibn',
  'al',
  'el',
  'abu',
  'ó',
  'ní',
  'nic',
  'mac',
  'mc',
  'uí',
  'ua',
  'o',
]);

const WORD_BEFORE_CHAR = /[\p{L}\p{M}\p{N}'’]/u;
const NAME_PART = String.raw`(?:[OD]['’]|Mc|Mac|Fitz)?\p{Lu}[\p{Ll}\p{M}]*(?:['’]\p{L}[\p{Ll}\p{M}]*)?`;
const CAPITALISED = new RegExp(`^${NAME_PART}(?:-${NAME_PART})*$`, 'u');
const HAS_LOWER = /\p{Ll}/u;
const CUE_CHAR = /[\p{L}\p{M}.'’-]/u;
const SEP_CHAR = ' ,:(';
const PARTICLE_BEFORE = /(?:^|[ ])([\p{L}\p{M}]{1,4}) $/u;

export interface Token {
  text: string;
  start: number;
  end: number;
}

/** A capitalised word with what the rules know about it, looked up once per word of the text. */
interface Word extends Token {
  facts: WordFacts | undefined;
}

interface WordFacts {
  shaped: boolean;
  /** German or English vocabulary (inflections, compounds) or a business term. */
  common: boolean;
  /** On the given-name list. */
  givenAny: boolean;
  /** A plain English word ("Will", "Grant"). */
  english: boolean;
  /** Letters German and English do not use, or another script ("Yıldız", "Trương", "Ольга"). */
  foreign: boolean;
  /** On a last-name list of some locale. */
  surname: boolean;
  /** On a first-name list of some locale (broader and weaker than `givenAny`). */
  firstListed: boolean;
  /** A city, town or country. */
  place: boolean;
}

const NOT_SHAPED: WordFacts = {
  shaped: false,
  common: true,
  givenAny: false,
  english: false,
  foreign: false,
  surname: false,
  firstListed: false,
  place: false,
};

const facts = new Map<string, WordFacts>();

/** Everything the rules ask about a word, computed once per distinct word. */
function factsOf(word: string): WordFacts {
  let f = facts.get(word);
  if (!f) {
    const shaped = word.length >= 2 && CAPITALISED.test(word) && HAS_LOWER.test(word) && !STOP.has(word);
    f = shaped ? shapedFacts(word) : NOT_SHAPED;
    if (facts.size > 100_000) facts.clear();
    facts.set(word, f);
  }
  return f;
}

function shapedFacts(word: string): WordFacts {
  const lower = word.toLowerCase().normalize('NFC');
  // Faiths, feasts and peoples are vocabulary, even where a given-name list has them.
  if (isNeverName(lower)) return { ...NOT_SHAPED, shaped: true };
  const common = isCommonWord(word);
  const place = isPlace(lower);
  return {
    shaped: true,
    common,
    givenAny: givenNames().has(lower),
    english: isEnglishWord(word),
    foreign: !common && !place && !isBrand(word) && hasForeignLetters(word),
    surname: isListedLastName(lower),
    firstListed: !common && !place && isListedFirstName(lower),
    place,
  };
}

/** The facts of a word of the scanned text (kept on the word: the rules ask several times). */
function factsOfWord(word: Token): WordFacts {
  const w = word as Word;
  return (w.facts ??= factsOf(w.text));
}

type Cue = 'honorific' | 'role' | 'strong' | 'weak' | 'thing' | 'none';

/** Letters, marks and the joiners a cue word may contain; ASCII decided by code, the rest by class. */
function isCueChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 46 || c === 39 || c === 45;
  return CUE_CHAR.test(text[i]!);
}

/** The word ending at `end` (scanning back), and where it starts. */
function wordBefore(text: string, end: number): [string, number] {
  let i = end;
  while (i > 0 && end - i < 32 && isCueChar(text, i - 1)) i--;
  return [text.slice(i, end), i];
}

/** Which cue lists a word before a name is on (lower-cased, as written in the lists). */
interface CueWord {
  honorific: boolean;
  role: boolean;
  verb: boolean;
  /** The last word of a two-word verb cue ("spoke to"): only then is the word before it looked at. */
  verbTail: boolean;
  weak: boolean;
  thing: boolean;
}

const VERB_TAILS = new Set(
  [...VERB_CUES].filter((c) => c.includes(' ')).map((c) => c.slice(c.lastIndexOf(' ') + 1)),
);
const cueWords = new Map<string, CueWord>();

/** The cue lists of a word as written (cached: the same few words come before most names). */
function cueWordOf(word: string): CueWord {
  let c = cueWords.get(word);
  if (!c) {
    const p = word.toLowerCase();
    const bare = p.replace(/\.$/, '');
    c = {
      honorific: HONORIFICS.has(p),
      role: ROLE_WORDS.has(bare) || ROLE_SUFFIX.test(bare),
      verb: VERB_CUES.has(p),
      verbTail: VERB_TAILS.has(p),
      weak: WEAK_CUES.has(p),
      thing: THING_CUES.has(p),
    };
    if (cueWords.size > 20_000) cueWords.clear();
    cueWords.set(word, c);
  }
  return c;
}

function cueBefore(text: string, start: number): Cue {
  // Scanning back by hand: a regex anchored at the end would be tried from every position.
  let sepStart = start;
  while (sepStart > 0 && start - sepStart < 3 && SEP_CHAR.includes(text[sepStart - 1]!)) sepStart--;
  if (sepStart === start) return 'none';
  const oneSpace = start - sepStart === 1 && text.charCodeAt(sepStart) === 32;
  const [word, wordStart] = wordBefore(text, sepStart);
  if (!word) return 'none';
  const c = cueWordOf(word);
  if (c.honorific && oneSpace) return 'honorific';
  // A role or kinship word is as strong as an honorific ("Hausmeister Fischer", "Kollegin Dran").
  if (c.role) return oneSpace ? 'role' : 'strong';
  if (c.verb) return 'strong';
  if (c.verbTail && wordStart > 0 && text[wordStart - 1] === ' ') {
    const [word2] = wordBefore(text, wordStart - 1);
    if (word2 && VERB_CUES.has(`${word2.toLowerCase()} ${word.toLowerCase()}`)) return 'strong';
  }
  if (c.weak && oneSpace) return 'weak';
  if (c.thing && oneSpace) return 'thing';
  return 'none';
}

function companyOrModelFollows(text: string, end: number): boolean {
  const next = /^\s*(\S+)/.exec(text.slice(end, end + 24));
  if (!next) return false;
  // "Meyer & Söhne", "Klein & Partner" are firms; "Kowalczyk & Brennan signed" are two people (a legal
  // form after the second name is found by organisationFollows).
  if (next[1] === '&')
    return /^\s*&\s?(?:Co\.?|Cie\.?|Partner|Söhne|Sohn|Sons|Son)\b/.test(text.slice(end, end + 24));
  return COMPANY_SUFFIX.test(next[1]!) || /^[\p{L}-]*\d/u.test(next[1]!);
}

/** A gap between two words that is a name particle ("De Luca", "van der Berg"). */
function isParticleGap(gap: string): boolean {
  // One to three particles ("van der", "von und zu"): longer gaps (often whole sentences) need no regex.
  const core = gap.trim();
  if (core.length > 11 || !PARTICLE_BEFORE.test(gap)) return false;
  return core === 'von und zu' || core.split(' ').every((p) => PARTICLES.has(p.toLowerCase()));
}

const CONJUNCTION_BEFORE = /(?:,|,? (?:und|and|sowie|oder|or|&)|\/) ?$/;
const CONJUNCTION_AFTER = /^ ?(?:,|,? (?:und|and|sowie|oder|or|&)|\/) ?/;

let lastText: string | undefined;
let lastWords: Word[] = [];

// What each code point is to the word scan, filled in on first sight (BMP; the rest via the Map):
// 1 an upper-case letter (\p{Lu}), 2 another letter or a mark, 3 neither.
const UPPER = 1;
const LETTER = 2;
const OTHER = 3;
const bmpKinds = new Uint8Array(0x10000);
const astralKinds = new Map<number, number>();
const LU = /^\p{Lu}$/u;
const LETTER_OR_MARK = /^[\p{L}\p{M}]$/u;
function codePointKind(cp: number): number {
  let kind = cp < 0x10000 ? bmpKinds[cp]! : (astralKinds.get(cp) ?? 0);
  if (kind === 0) {
    const ch = String.fromCodePoint(cp);
    kind = LU.test(ch) ? UPPER : LETTER_OR_MARK.test(ch) ? LETTER : OTHER;
    if (cp < 0x10000) bmpKinds[cp] = kind;
    else astralKinds.set(cp, kind);
  }
  return kind;
}

/**
 * The capitalised words of a text ("O'Sullivan", "Al-Masri", "Nguyễn"): an upper-case letter of any
 * script and every letter, mark, apostrophe and hyphen after it (what `\p{Lu}[\p{L}\p{M}'’-]*` with
 * the u flag matches), unless a letter, digit or apostrophe comes right before; trailing hyphens and
 * apostrophes dropped. Scanned by hand: that regex and its match objects cost more than all the
 * name rules. The last text's list is kept: the pseudonymiser asks again.
 */
export function capitalWords(text: string): readonly Token[] {
  if (text === lastText) return lastWords;
  const words: Word[] = [];
  const len = text.length;
  let i = 0;
  while (i < len) {
    const c = text.charCodeAt(i);
    let size = 1;
    if (c < 128) {
      if (c < 65 || c > 90) {
        i++;
        continue;
      }
    } else {
      const cp = text.codePointAt(i)!;
      size = cp > 0xffff ? 2 : 1;
      if (codePointKind(cp) !== UPPER) {
        i += size;
        continue;
      }
    }
    // The rest of the word: letters and marks of any script, apostrophes, hyphens.
    let j = i + size;
    while (j < len) {
      const d = text.charCodeAt(j);
      if (d < 128) {
        if ((d >= 97 && d <= 122) || (d >= 65 && d <= 90) || d === 39 || d === 45) j++;
        else break;
      } else if (d === 0x2019) j++;
      else {
        const cp = text.codePointAt(j)!;
        if (codePointKind(cp) === OTHER) break;
        j += cp > 0xffff ? 2 : 1;
      }
    }
    if (i > 0) {
      const b = text.charCodeAt(i - 1);
      if (
        b < 128
          ? (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b === 39
          : WORD_BEFORE_CHAR.test(text[i - 1]!)
      ) {
        i = j;
        continue;
      }
    }
    let end = j;
    while (end > i) {
      const e = text.charCodeAt(end - 1);
      if (e !== 45 && e !== 39 && e !== 0x2019) break;
      end--;
    }
    words.push({ text: text.slice(i, end), start: i, end, facts: undefined });
    i = j;
  }
  lastText = text;
  lastWords = words;
  return words;
}

export function findNames(text: string): NameSpan[] {
  const words = capitalWords(text);
  const spans: NameSpan[] = [];
  const accepted = new Set<number>();
  const pending = new Set<number>();
  for (let i = 0; i < words.length; i++) {
    let start = words[i]!;
    // A one-letter particle before a name ("Ó Briain", "O Sullivan") belongs to it.
    const spanStart = start.start;
    if (
      !factsOfWord(start).shaped &&
      PARTICLES.has(start.text.toLowerCase()) &&
      words[i + 1] &&
      words[i + 1]!.start === start.end + 1 &&
      factsOfWord(words[i + 1]!).shaped
    ) {
      i++;
      start = words[i]!;
    }
    const f = factsOfWord(start);
    if (!f.shaped) continue;
    // "The", "Der", "Mit" opening a sentence introduce a name, they are not one.
    const opener = cueWordOf(start.text);
    if ((opener.thing || opener.weak) && start.text.length <= 4) continue;
    // The run: name-shaped words separated by one space, or by a name particle ("De Luca", "van der").
    const run: Token[] = [start];
    const runIdx: number[] = [i];
    collectRun(text, words, i, run, runIdx);
    const initials = initialsBefore(text, spanStart);
    let lead = particleLead(text, initials ?? spanStart, words[i - 1]) ?? initials;
    // "Empfehlung von Pádraig": the "von" ends a cue phrase here, it is no particle of the name.
    if (lead !== undefined && initials === undefined && cueBefore(text, spanStart) === 'strong')
      lead = undefined;
    const from = lead ?? spanStart;
    // Most capitalised words are German nouns: with no unknown or given word in the run, only an
    // honorific can make it a name, and the cue is looked up only then (hot path).
    const plain = run.every((t) => {
      const w = factsOfWord(t);
      return w.common && !w.givenAny;
    });
    if (plain && lead === undefined && !(from > 1 && text[from - 1] === ' ')) continue;
    const cue = cueBefore(text, from);
    // A dictionary noun is a name only after an honorific, or after a role word when it is no German
    // noun ("Kollegin Soar") or is also a listed surname ("Kollege Fischer"); "Vertretung Verlängerung" stays.
    if (
      plain &&
      cue !== 'honorific' &&
      !(cue === 'role' && run.some((t) => factsOfWord(t).surname || !isGermanWord(t.text)))
    )
      continue;
    const n =
      lead === undefined
        ? acceptRun(
            run,
            cue,
            run.some((t, x) => x > 0 && t.start !== run[x - 1]!.end + 1),
          )
        : acceptParticleRun(run, cue, text.slice(lead, spanStart).trim().includes(' '));
    if (n > 0) {
      const last = run[n - 1]!;
      if (!notAPerson(text, run.slice(0, n), cue, lead !== undefined)) {
        spans.push({ start: from, end: last.end });
        for (const x of runIdx.slice(0, n)) accepted.add(x);
      }
      i = runIdx[n - 1]!;
    } else if (
      run.length === 1 &&
      !f.english &&
      (f.givenAny || !f.common) &&
      !isBrand(start.text) &&
      !BRANDS.has(start.text)
    )
      pending.add(i);
  }
  surnameCommaGiven(text, words, spans, accepted);
  // Name lists: an unknown word joined by "und", "and" or a comma to a name is a name too ("mit Lisann und Stella").
  if (pending.size > 0) acceptListedNames(text, words, spans, accepted, pending);
  for (const r of uncasedScriptRuns(text)) spans.push(r);
  return spans.sort((a, b) => a.start - b.start);
}

/**
 * Extends a run that starts at `words[i]` with the name-shaped words after it (at most four), separated
 * by one space or a name particle ("De Luca", "van der"); fills `run` and `runIdx` in place (hot path).
 */
function collectRun(text: string, words: readonly Token[], i: number, run: Token[], runIdx: number[]): void {
  for (let k = i + 1; k < words.length && run.length < 4; k++) {
    const prev = run[run.length - 1]!;
    const t = words[k]!;
    // A legal form ends the run: "Horváth Kft." is a company, its name is looked at alone.
    if (opensLegalForm(t.text) && legalFormStarts(text.slice(t.start, t.start + 12))) break;
    const spaced = t.start === prev.end + 1 && text.charCodeAt(prev.end) === 32;
    if (!spaced && !isParticleGap(text.slice(prev.end, t.start))) break;
    // "Gennadij von der Technik": after particles only a word that is no plain vocabulary continues a name.
    if (!spaced && factsOfWord(t).common && !factsOfWord(t).surname && isPlainWord(t.text)) break;
    if (!factsOfWord(t).shaped) {
      // "Siobhán Ó Briain": a one-letter particle inside the run.
      const after = words[k + 1];
      if (
        PARTICLES.has(t.text.toLowerCase()) &&
        after &&
        after.start === t.end + 1 &&
        factsOfWord(after).shaped &&
        run.length < 3
      ) {
        run.push(after);
        runIdx.push(k + 1);
        k++;
        continue;
      }
      break;
    }
    run.push(t);
    runIdx.push(k);
  }
}

/**
 * Name lists: a pending unknown word joined by "und", "and" or a comma to a name is a name too
 * ("mit Lisann und Stella"); adds its span and moves it from `pending` to `accepted`.
 */
function acceptListedNames(
  text: string,
  words: readonly Token[],
  spans: NameSpan[],
  accepted: Set<number>,
  pending: Set<number>,
): void {
  // One pass each way carries a list along in both directions ("Anna, Lisann und Nevio").
  const order = [...pending].sort((x, y) => x - y);
  for (const sequence of [order, order.slice().reverse()]) {
    for (const i of sequence) {
      if (!pending.has(i)) continue;
      const t = words[i]!;
      const joinedBefore =
        accepted.has(i - 1) && CONJUNCTION_BEFORE.test(text.slice(words[i - 1]!.end, t.start));
      const joinedAfter =
        accepted.has(i + 1) && CONJUNCTION_AFTER.test(text.slice(t.end, words[i + 1]!.start));
      const listOfTwo =
        !accepted.has(i - 1) &&
        pending.has(i + 1) &&
        /^(?: (?:und|and|&) |\/)$/.test(text.slice(t.end, words[i + 1]!.start)) &&
        (cueBefore(text, t.start) !== 'none' || namey(t) || namey(words[i + 1]!));
      if (joinedBefore || joinedAfter || listOfTwo) {
        spans.push({ start: t.start, end: t.end });
        accepted.add(i);
        pending.delete(i);
      }
    }
  }
}

/** How many words of the run are a person's name (0: none), given the cue before it. */
function acceptRun(run: Token[], cue: Cue, particled = false): number {
  const words = run.map(factsOfWord);
  // Letters foreign to the note ("Yıldız", "Trương"): the run is a name, trailing vocabulary trimmed.
  // A single foreign-lettered word alone is as often a company ("Arçelik"): it needs a cue or a list.
  const foreignEnough =
    words.length > 1 ||
    cue === 'honorific' ||
    cue === 'role' ||
    cue === 'strong' ||
    words[0]!.surname ||
    words[0]!.givenAny ||
    words[0]!.firstListed;
  if (foreignEnough && words.some((w) => w.foreign)) {
    let m = words.length;
    while (m > 1 && words[m - 1]!.common && !words[m - 1]!.foreign) m--;
    return m;
  }
  const unknown = words.map((w) => !w.common);
  const givenAny = words.map((w) => w.givenAny);
  const given = words.map((w) => w.givenAny && !w.english);
  // Trailing vocabulary words are not part of the name, unless a given name or an honorific vouches for the second word.
  let n = words.length;
  const listedPair = words[0]!.firstListed && words[1]?.surname;
  while (
    n > 1 &&
    !unknown[n - 1] &&
    !(n === 2 && (given[0] || listedPair || cue === 'honorific' || cue === 'role'))
  )
    n--;
  // "Hauke von Lindenfels": capitalised words joined by particles are a name when the first is no vocabulary.
  if (particled && n >= 2 && (unknown[0] || givenAny[0])) return n;
  if (cue === 'honorific' || cue === 'role') return n;
  if (cue === 'strong') return unknown[0] || givenAny[0] ? n : 0;
  if (n >= 2 && (given[0] || (givenAny[0] && unknown[1]))) return n;
  // A first name of some locale before an unknown or listed last name ("Hauke Großmann").
  if (n >= 2 && words[0]!.firstListed && (unknown[1] || words[1]!.surname)) return n;
  // Two unknown words alone are a person unless they follow a word that introduces things ("Interesse an Fronius Symo").
  if (n >= 2 && unknown[0] && unknown[1] && cue !== 'thing') return n;
  if (n === 1 && given[0] && unknown[0]) return 1;
  // Out of the dictionary and on a last-name list: two pieces of evidence ("Kowalczyk rief an").
  if (n === 1 && unknown[0] && words[0]!.surname && !words[0]!.place && cue !== 'thing' && run.length === 1)
    return 1;
  return 0;
}

/** A word that is a name on its own evidence: foreign letters, or out of the dictionary and listed. */
function namey(t: Token): boolean {
  const w = factsOfWord(t);
  return w.foreign || (!w.common && !w.place && (w.surname || w.givenAny || w.firstListed));
}

// Particles that open a surname ("von Lindenfels", "van der Aue", "zu Eltz", "de Vries", "al-…").
const LEADING_PARTICLES = new Set([
  'von',
  'van',
  'vom',
  'zu',
  'de',
  'di',
  'da',
  'del',
  'della',
  'dos',
  'du',
  'ter',
  'ten',
  'op',
  'al',
  'el',
  'bin',
  'ibn',
  'le',
  'la',
]);
const PARTICLE_RUN = /(?:^|[^\p{L}\p{M}])((?:\p{Ll}{1,5} ){1,3})$/u;

/**
 * Where a surname's lower-case particles start ("Herr von der Aue": at "von"), or undefined.
 * A name-shaped word right before the particles makes them part of that word's run instead.
 */
function particleLead(text: string, start: number, previous: Token | undefined): number | undefined {
  if (start < 3 || text.charCodeAt(start - 1) !== 32) return undefined;
  // The word right before must be a particle itself: found by hand, the regex only then (hot path).
  let w = start - 1;
  while (w > 0 && w > start - 7 && text.charCodeAt(w - 1) !== 32) w--;
  if (!PARTICLES.has(text.slice(w, start - 1))) return undefined;
  const m = PARTICLE_RUN.exec(text.slice(Math.max(0, start - 18), start));
  if (!m) return undefined;
  const parts = m[1]!.trim().split(' ');
  if (
    !LEADING_PARTICLES.has(parts[0]!) ||
    !(parts.every((p) => PARTICLES.has(p)) || parts.join(' ') === 'von und zu')
  )
    return undefined;
  const from = start - m[1]!.length;
  // A name-like word right before ("Detlef von der Aue") takes the particles into its own run.
  const p = previous && previous.end === from - 1 ? factsOfWord(previous) : undefined;
  if (p?.shaped && !(p.common && !p.givenAny)) return undefined;
  return from;
}

// Initials before a surname ("J. K. Rowling", "A.-M. Kowalski"): capital, dot, optional space.
const INITIALS = /(?:^|[^\p{L}\p{M}.])((?:\p{Lu}\.(?:-\p{Lu}\.)? ?){1,3})$/u;

const isUpperAt = (text: string, i: number): boolean => {
  const c = text.charCodeAt(i);
  return c < 128 ? c >= 65 && c <= 90 : codePointKind(text.codePointAt(i)!) === UPPER;
};

/** Where initials before a word start, or undefined. */
function initialsBefore(text: string, start: number): number | undefined {
  // Cheap shape test first: "J.Rowling" or "J. Rowling" (a capital right before the dot).
  const dot =
    text.charCodeAt(start - 1) === 46 ? start - 1 : text.charCodeAt(start - 2) === 46 ? start - 2 : -1;
  if (dot < 1 || !isUpperAt(text, dot - 1)) return undefined;
  const m = INITIALS.exec(text.slice(Math.max(0, start - 14), start));
  return m ? start - m[1]!.length : undefined;
}

/** A run after particles: a surname unless it is a place or plain vocabulary without a cue. */
function acceptParticleRun(run: Token[], cue: Cue, multiParticle: boolean): number {
  const words = run.map(factsOfWord);
  let n = words.length;
  while (n > 1 && words[n - 1]!.common && !words[n - 1]!.surname) n--;
  if (cue === 'honorific' || cue === 'role' || cue === 'strong') return n;
  const first = words[0]!;
  if (first.place || first.common) return 0;
  // "von"/"zu" are also prepositions ("Angebot von Fronius"): on its own, a listed or foreign surname.
  return first.surname || first.foreign || first.givenAny || first.firstListed || multiParticle ? n : 0;
}

/** An accepted run that is still not a person: a company before its legal form, a product, a place. */
function notAPerson(text: string, run: Token[], cue: Cue, particled: boolean): boolean {
  const last = run[run.length - 1]!;
  if (companyOrModelFollows(text, last.end) || organisationFollows(text, last.end)) return true;
  const first = run[0]!.start;
  // "Klein & Partner Steuerberatung": the words after "& Partner" name the firm.
  // (Looked for in the 16 characters before only: lastIndexOf on the text would scan back to its start.)
  const window = text.slice(Math.max(0, first - 16), first);
  if (window.includes('&') && /&\s?(?:Partner|Co\.?|Söhne|Sons)\s$/.test(window)) return true;
  // A model after its make ("Škoda Octavia", "Bosch Serie"): the word before is a known make.
  if (first > 1 && text.charCodeAt(first - 1) === 32) {
    const [before] = wordBefore(text, first - 1);
    if (before && (isBrand(before) || BRANDS.has(before))) return true;
  }
  const vouched = cue === 'honorific' || cue === 'role';
  const withParticle =
    particled || /\s(?:von|van|de|der|den|zu|ter|ten)\s/.test(text.slice(run[0]!.start, last.end));
  if (!vouched && !withParticle && run.some((t) => BRANDS.has(t.text) || isBrand(t.text))) return true;
  // "Graz Messezentrum", "im Lager Kraków": a place and vocabulary, unless a cue vouches for a person.
  const words = run.map(factsOfWord);
  const placeFirst = words[0]!.place && (!words[0]!.givenAny || cue === 'thing');
  return (
    !vouched && cue !== 'strong' && placeFirst && words.every((w) => w.place || w.common || w === words[0])
  );
}

const CAPITALISED_AHEAD = /^(?:\s(?:&|und|and|\+)?\s?\p{Lu}[\p{L}\p{M}.-]*){0,3}/u;

/** A legal form after this run or after up to three more capitalised words ("Hoffmann Druck GmbH"). */
function organisationFollows(text: string, end: number): boolean {
  const after = text.slice(end, end + 64);
  if (legalFormStarts(after)) return true;
  const ahead = CAPITALISED_AHEAD.exec(after)![0];
  for (let cut = ahead.length; cut > 0; cut = ahead.lastIndexOf(' ', cut - 1))
    if (legalFormStarts(after.slice(cut))) return true;
  return false;
}

const ALL_CAPS = /^\p{Lu}[\p{Lu}\p{M}'’-]+$/u;

/**
 * "Surname, Given" ("Yıldız, Ümran", "WEBER, Anna", "von Lindenfels, Jutta"): a surname-like word,
 * a comma, and a given name (or foreign-lettered word) that no further ", Word" continues (a list).
 */
function surnameCommaGiven(
  text: string,
  words: readonly Token[],
  spans: NameSpan[],
  accepted: Set<number>,
): void {
  for (let k = 0; k + 1 < words.length; k++) {
    const w1 = words[k]!;
    const w2 = words[k + 1]!;
    if (w2.start !== w1.end + 2 || text[w1.end] !== ',' || text[w1.end + 1] !== ' ') continue;
    const f2 = factsOfWord(w2);
    if (!f2.shaped || (f2.common && !f2.givenAny) || f2.place) continue;
    // The given name ends the pattern: a capitalised word or another ", Word" after it is a list.
    if (/^(?:,? \p{Lu}| \p{Lu})/u.test(text.slice(w2.end, w2.end + 3)) && !namey(words[k + 2] ?? w2))
      continue;
    if (/^,? (?:und|and|&|sowie|or|oder) /.test(text.slice(w2.end, w2.end + 8))) continue;
    const given =
      f2.foreign ||
      w2.text.split('-').every((p) => {
        const f = factsOf(p);
        return (f.givenAny && !f.english) || f.firstListed;
      });
    const f1 = factsOfWord(w1);
    const lead = particleLead(text, w1.start, words[k - 1]);
    const caps = ALL_CAPS.test(w1.text) && w1.text.length > 2;
    if (isBrand(w1.text) || (!caps && !f1.shaped)) continue;
    // Given name after the comma: any surname-shaped word before it; two unknown words: only where a
    // sentence or a cue starts them ("Oyelaran, Temitope ist …").
    const opens =
      lead !== undefined ||
      w1.start === 0 ||
      /[.!?:;(\n]\s*$/.test(text.slice(Math.max(0, w1.start - 3), w1.start)) ||
      cueBefore(text, w1.start) !== 'none';
    // Particles before it mark the first word as a surname even when it is also a noun ("ter Horst").
    if (!(given || (opens && (lead !== undefined || (!f1.common && !f1.place))))) continue;
    let end = w2.end;
    const w3 = words[k + 2];
    if (w3 && w3.start === end + 1 && text[end] === ' ' && !factsOfWord(w3).common) end = w3.end;
    spans.push({ start: lead ?? w1.start, end });
    accepted.add(k).add(k + 1);
  }
}
