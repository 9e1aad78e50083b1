import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { findEmails, recognise, type EntityType } from './recognisers.ts';
import type { Language } from '../policy.ts';
import { isCommonWord } from './lexicon.ts';
import { capitalWords } from './names.ts';
import { escapeRegex, fold, skeleton } from './text.ts';

export { fold } from './text.ts';

/**
 * Per-job pseudonymisation. Known CRM values first (every spelling variant of them), then the
 * recognisers for what the CRM did not tell us. Placeholders are `[[TYPE_N]]` and stable within the
 * job: the same value always gets the same placeholder, across every text of the job.
 */

/** Which CRM fields are values to hide, and as what. Free-text fields are scanned, not listed. */
const FIELD_TYPES: Record<string, EntityType> = {
  firstname: 'PERSON',
  lastname: 'PERSON',
  email: 'EMAIL',
  phone: 'PHONE',
  mobilephone: 'PHONE',
  company: 'COMPANY',
  owner_firstname: 'PERSON',
  owner_lastname: 'PERSON',
  owner_email: 'EMAIL',
  address: 'ADDRESS',
  city: 'ADDRESS',
  zip: 'ADDRESS',
};

/** A regex source over the folded skeleton (see text.ts) matching a value in any of its spellings. */
function variantSource(value: string): string {
  return escapeRegex(fold(value)).replace(/ /g, ' ?');
}

const folded = new Map<string, string>();
function foldCached(word: string): string {
  let f = folded.get(word);
  if (f === undefined) {
    if (folded.size > 50_000) folded.clear();
    f = fold(word);
    folded.set(word, f);
  }
  return f;
}

/** Digits of a phone number in any formatting: +49 (0)30 123-45 67, 030/1234567, 0049 30 1234567. */
function phoneSource(raw: string): string | undefined {
  const parsed = parsePhoneNumberFromString(raw, 'DE');
  const national = parsed ? String(parsed.nationalNumber) : raw.replace(/\D/g, '').replace(/^0+/, '');
  if (national.length < 5) return undefined;
  const cc = parsed?.countryCallingCode ?? '49';
  const sep = '[\\s./()-]*';
  const digits = national.split('').join(sep);
  return `(?:(?:\\+|00)${cc}${sep}(?:\\(0\\)${sep})?|0${sep})?${digits}`;
}

/** One key per line, whatever the formatting: E.164 when libphonenumber can parse it. */
function phoneKey(raw: string): string {
  // Digits with the international form unified (+49 (0)30 …, 0049 30 …, 030 …): the same line, the
  // same key. Plain digit work: libphonenumber costs ~0.1 ms a call, and every phone in a note needs a key.
  const trimmed = raw.trim();
  const digits = trimmed.replace(/\(0\)/, '').replace(/\D/g, '');
  if (trimmed.startsWith('+')) return digits;
  if (digits.startsWith('00')) return digits.slice(2);
  if (digits.startsWith('0')) return `49${digits.slice(1)}`;
  return digits;
}

/** A recogniser hit or a learned name with the placeholder it gets (and "'s" for a genitive). */
interface PlacedSpan {
  start: number;
  end: number;
  placeholder: string;
  suffix: string;
}

interface KnownValue {
  type: EntityType;
  canonical: string;
  source: string;
  placeholder: string;
}

const MULTI_PART = /[\s-]/;

// A web address with a path: scheme or "www." or a domain followed by "/".
const URL_LIKE =
  /(?:\bhttps?:\/\/|\bwww\.|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\/)[^\s<>()[\]"]*[^\s<>()[\]".,;:!?]/gi;
const PARTICLE_WORDS = new Set(['von', 'van', 'der', 'den', 'zu', 'del', 'della', 'dos']);
/** The next "/" or "www." at or after `from`, or -1. */
function nextLinkMark(text: string, from: number): number {
  const slash = text.indexOf('/', from);
  const www = text.indexOf('www.', from);
  return slash === -1 ? www : www === -1 ? slash : Math.min(slash, www);
}
/** The folded letters of a value, nothing else: "Yıldız-Ümran" and "yildiz.umran" meet. */
const lettersOf = (s: string): string => fold(s).replace(/[^a-z]/g, '');

// Boundaries on the skeleton: no letter, mark or digit of any script may continue the value.
const WORD_BEFORE = '(?<![\\p{L}\\p{M}\\p{N}@._%+])';
const WORD_AFTER = '(?![\\p{L}\\p{M}\\p{N}]|@[\\p{L}\\p{N}])';

/** Whether a span of `taken` (sorted by start) from index `from` on overlaps [start, end): a local look. */
function overlapsFrom(taken: readonly PlacedSpan[], from: number, start: number, end: number): boolean {
  for (let k = from; k < taken.length && taken[k]!.start < end; k++) if (taken[k]!.end > start) return true;
  return false;
}

export class Pseudonymiser {
  /** Per entity type: placeholders by exact text (a cache in front of the folded key) and by folded value, and how many were issued. */
  private readonly byType = new Map<
    string,
    { bySource: Map<string, string>; byValue: Map<string, string>; count: number }
  >();
  /** placeholder → original value */
  private readonly issued: { type: string; placeholder: string }[] = [];
  /** The original value of each issued placeholder, in the same order. */
  private readonly originals: string[] = [];
  private readonly fieldPlaceholders = new Map<string, string>();
  private readonly knownPattern: RegExp | undefined;
  /** folded match → placeholder, for known-value matches (variants fold to the same key) */
  private readonly knownLookup = new Map<string, string>();
  private readonly knownSources: { re: RegExp; placeholder: string }[] = [];
  /** Names the recognisers found in this job (folded → placeholder): hidden wherever they appear again. */
  private readonly learned = new Map<string, string>();
  /** The first folded word of every learned name: the cheap test before a lookup. */
  private readonly learnedFirst = new Set<string>();
  /** Folded letters of each known name part (3+): a URL that holds one is hidden whole. */
  private readonly nameParts: string[] = [];

  constructor(known: Record<string, string | null | undefined>, _options: { lang?: Language } = {}) {
    const values: KnownValue[] = [];
    const add = (type: EntityType, canonical: string, source: string | undefined, field?: string) => {
      const c = canonical.trim();
      if (!source || c.length < 2) return;
      const placeholder = this.placeholderOf(type, c);
      if (field && !this.fieldPlaceholders.has(field)) this.fieldPlaceholders.set(field, placeholder);
      values.push({ type, canonical: c, source, placeholder });
    };
    const person = (prefix: string, first?: string | null, last?: string | null) => {
      const f = first?.trim();
      const l = last?.trim();
      if (f && l) {
        add('PERSON', `${f} ${l}`, variantSource(`${f} ${l}`), `${prefix}fullname`);
        add('PERSON', `${f} ${l}`, variantSource(`${l}, ${f}`));
        add('PERSON', `${f} ${l}`, `${escapeRegex(fold(f[0]!))}\\. ?${variantSource(l)}`);
      }
      if (f) {
        add('PERSON', f, variantSource(f), `${prefix}firstname`);
        for (const part of f.split(/[-\s]+/).filter((p) => p.length > 2 && p !== f))
          add('PERSON', part, variantSource(part));
      }
      if (l) {
        add('PERSON', l, variantSource(l), `${prefix}lastname`);
        for (const part of l.split(/[-\s]+/).filter((p) => p.length > 2 && p !== l))
          add('PERSON', part, variantSource(part));
      }
    };
    person('', known.firstname, known.lastname);
    person('owner_', known.owner_firstname, known.owner_lastname);
    for (const raw of [known.firstname, known.lastname, known.owner_firstname, known.owner_lastname]) {
      for (const part of (raw ?? '').split(/[\s-]+/)) {
        const letters = lettersOf(part);
        if (letters.length >= 3 && !PARTICLE_WORDS.has(letters)) this.nameParts.push(letters);
      }
    }
    for (const [field, raw] of Object.entries(known)) {
      const type = FIELD_TYPES[field];
      if (!raw || !type || type === 'PERSON') continue;
      if (type === 'PHONE') add('PHONE', raw, phoneSource(raw), field);
      else if (type === 'EMAIL') {
        add('EMAIL', raw, variantSource(raw), field);
        const local = raw.split('@')[0]!;
        if (local.length >= 4) add('EMAIL', local, variantSource(local));
      } else add(type, raw, variantSource(raw), field);
    }
    values.sort((a, b) => b.source.length - a.source.length);
    for (const v of values)
      this.knownSources.push({ re: new RegExp(`^(?:${v.source})$`, 'u'), placeholder: v.placeholder });
    if (values.length > 0) {
      // A German or English genitive ("Annas Angebot", "Anna's offer") is matched with the name.
      this.knownPattern = new RegExp(
        `${WORD_BEFORE}(${values.map((v) => v.source).join('|')})(s)?${WORD_AFTER}`,
        'gu',
      );
    }
  }

  private placeholderOf(type: string, original: string): string {
    let placeholders = this.byType.get(type);
    if (!placeholders)
      this.byType.set(type, (placeholders = { bySource: new Map(), byValue: new Map(), count: 0 }));
    // The same text seen again: no folding or phone parsing (libphonenumber costs ~0.1 ms a call).
    const seen = placeholders.bySource.get(original);
    if (seen) return seen;
    // Names through the folding cache that `learn` fills anyway; other values are not kept beyond the job.
    const key =
      type === 'PHONE' ? phoneKey(original) : type === 'PERSON' ? foldCached(original) : fold(original);
    let placeholder = placeholders.byValue.get(key);
    if (!placeholder) {
      placeholder = `[[${type}_${++placeholders.count}]]`;
      placeholders.byValue.set(key, placeholder);
      this.issued.push({ type, placeholder });
      this.originals.push(original);
    }
    placeholders.bySource.set(original, placeholder);
    return placeholder;
  }

  pseudonymise(text: string): string {
    // Addresses first, whole: a known first name must not eat the local part of an e-mail address.
    let out = text;
    const emails = findEmails(text);
    if (emails.length > 0) {
      out = '';
      let last = 0;
      for (const [start, end] of emails) {
        out += text.slice(last, start) + this.placeholderOf('EMAIL', text.slice(start, end));
        last = end;
      }
      out += text.slice(last);
    }
    if (this.nameParts.length > 0) out = this.hideUrlsWithNames(out);
    if (this.knownPattern)
      out = this.replaceKnown(out, this.knownPattern, (match) => this.knownPlaceholder(match));
    const spans: PlacedSpan[] = recognise(out, { emailsDone: true }).map((span) => {
      const value = out.slice(span.start, span.end);
      const placeholder = this.placeholderOf(span.type, value);
      if (span.type === 'PERSON') this.learn(value, placeholder);
      return { start: span.start, end: span.end, placeholder, suffix: '' };
    });
    // A name found once is hidden everywhere in the job: "mit Lisann und Stella … Lisann bringt die Unterlagen".
    if (this.learned.size > 0) {
      const more = this.learnedSpans(out, spans);
      if (more.length > 0) {
        spans.push(...more);
        spans.sort((a, b) => a.start - b.start);
      }
    }
    if (spans.length === 0) return out;
    let result = '';
    let last = 0;
    for (const span of spans) {
      result += out.slice(last, span.start) + span.placeholder + span.suffix;
      last = span.end;
    }
    return result + out.slice(last);
  }

  /**
   * A link that spells a known name ("…/karl.heinz.zu.dohna", "…/in/aydin-oguz") goes whole: name
   * parts inside a path are glued by dots and dashes that no word boundary separates.
   */
  private hideUrlsWithNames(text: string): string {
    // Every link has a "/" or "www.": the regex runs on the words around those only, not the whole text.
    let out = '';
    let last = 0;
    for (let at = nextLinkMark(text, 0); at !== -1; at = nextLinkMark(text, at)) {
      let start = at;
      while (start > last && !/[\s<>()[\]"]/.test(text[start - 1]!)) start--;
      let end = at;
      while (end < text.length && !/[\s<>()[\]"]/.test(text[end]!)) end++;
      const word = text.slice(start, end);
      URL_LIKE.lastIndex = 0;
      const m = URL_LIKE.exec(word);
      if (m) {
        const url = m[0];
        const letters = lettersOf(url);
        if (this.nameParts.some((p) => letters.includes(p))) {
          out += text.slice(last, start + m.index) + this.placeholderOf('URL', url);
          last = start + m.index + url.length;
        }
      }
      at = Math.max(end, last);
    }
    return last === 0 ? text : out + text.slice(last);
  }

  /** Remembers a recognised name, and its parts that are not ordinary words, for the rest of the job. */
  private learn(value: string, placeholder: string): void {
    const valueFolded = foldCached(value);
    const space = valueFolded.indexOf(' ');
    const key = space === -1 ? valueFolded : valueFolded.replace(/ /g, '');
    if (key.length < 3 || this.learned.has(key)) return;
    this.learned.set(key, placeholder);
    this.learnedFirst.add(space === -1 ? valueFolded : valueFolded.slice(0, space));
    // A one-word name has no parts to learn separately.
    if (!MULTI_PART.test(value)) return;
    const parts = value
      .split(/[\s-]+/)
      .filter((p) => p.length >= 3 && /^\p{Lu}/u.test(p) && !isCommonWord(p));
    if (parts.length > 1) {
      for (const part of parts) {
        const partFolded = foldCached(part);
        const partKey = partFolded.replace(/ /g, '');
        if (this.learned.has(partKey)) continue;
        this.learned.set(partKey, this.placeholderOf('PERSON', part));
        this.learnedFirst.add(partFolded.split(' ')[0]!);
      }
    }
  }

  /**
   * Other occurrences of learned names: a lookup per capitalised word (the list the name recogniser
   * already made), not a regex alternation, so the cost does not grow with the number of names.
   */
  private learnedSpans(text: string, taken: readonly PlacedSpan[]): PlacedSpan[] {
    const words = capitalWords(text);
    const found: PlacedSpan[] = [];
    let t = 0;
    for (let i = 0; i < words.length; i++) {
      const first = words[i]!;
      while (t < taken.length && taken[t]!.end <= first.start) t++;
      if (t < taken.length && taken[t]!.start < first.end) continue; // already hidden
      const key = foldCached(first.text);
      if (!this.learnedFirst.has(key) && !(key.endsWith('s') && this.learnedFirst.has(key.slice(0, -1))))
        continue;
      if (first.start > 0 && /[@._%+]/.test(text[first.start - 1]!)) continue;
      let joined = key.replace(/ /g, '');
      let hit: { last: number; placeholder: string; genitive: boolean } | undefined;
      for (let n = 1; n <= 3 && i + n - 1 < words.length; n++) {
        const w = words[i + n - 1]!;
        if (n > 1) {
          // Only capitalised words separated by one space form a name, and none of them hidden yet.
          if (w.start !== words[i + n - 2]!.end + 1 || text[w.start - 1] !== ' ') break;
          if (overlapsFrom(taken, t, w.start, w.end)) break;
          joined += foldCached(w.text).replace(/ /g, '');
        }
        const exact = this.learned.get(joined);
        if (exact) hit = { last: i + n - 1, placeholder: exact, genitive: false };
        else if (joined.endsWith('s')) {
          const genitive = this.learned.get(joined.slice(0, -1));
          if (genitive) hit = { last: i + n - 1, placeholder: genitive, genitive: true };
        }
      }
      if (!hit) continue;
      found.push({
        start: first.start,
        end: words[hit.last]!.end,
        placeholder: hit.placeholder,
        suffix: hit.genitive ? "'s" : '',
      });
      i = hit.last;
    }
    return found;
  }

  private knownPlaceholder(match: string): string {
    let placeholder = this.knownLookup.get(match);
    if (!placeholder) {
      const hit = this.knownSources.find((k) => k.re.test(match));
      placeholder = hit?.placeholder ?? this.placeholderOf('PERSON', match);
      this.knownLookup.set(match, placeholder);
    }
    return placeholder;
  }

  /**
   * Known values are matched on the folded skeleton of the text and replaced in the original: every
   * spelling is found, and the replaced range always covers whole words (marks included).
   */
  private replaceKnown(text: string, pattern: RegExp, placeholderFor: (match: string) => string): string {
    const sk = skeleton(text);
    let out = '';
    let last = 0;
    for (const m of sk.text.matchAll(pattern)) {
      const placeholder = placeholderFor(m[1]!);
      const from = sk.start[m.index]!;
      const to = sk.end[m.index + m[0].length - 1]!;
      if (from < last) continue;
      // The genitive stays readable without a letter touching the placeholder: "[[PERSON_1]]'s".
      out += text.slice(last, from) + placeholder + (m[2] ? "'s" : '');
      last = to;
    }
    return out + text.slice(last);
  }

  placeholderFor(field: string): string | undefined {
    return this.fieldPlaceholders.get(field);
  }

  entities(): { type: string; placeholder: string }[] {
    return [...this.issued];
  }

  /** Only placeholders that were actually used in a text are worth keeping; the vault stores this. */
  mapping(): Record<string, string> {
    return Object.fromEntries(this.issued.map((e, i) => [e.placeholder, this.originals[i]!]));
  }
}
