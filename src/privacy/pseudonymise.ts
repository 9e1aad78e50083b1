import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { findEmails, recognise, type EntityType } from './recognisers.ts';
import { isCommonWord } from './lexicon.ts';
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

const SKELETON_WORD = /[\p{L}\p{N}]+/gu;

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
  return parsePhoneNumberFromString(raw.replace(/\(0\)/, ''), 'DE')?.number ?? raw.replace(/\D/g, '');
}

interface KnownValue {
  type: EntityType;
  canonical: string;
  source: string;
  placeholder: string;
}

// Boundaries on the skeleton: no letter, mark or digit of any script may continue the value.
const WORD_BEFORE = '(?<![\\p{L}\\p{M}\\p{N}@._%+])';
const WORD_AFTER = '(?![\\p{L}\\p{M}\\p{N}]|@[\\p{L}\\p{N}])';

export class Pseudonymiser {
  private readonly counters = new Map<string, number>();
  /** folded value → placeholder */
  private readonly byValue = new Map<string, string>();
  /** placeholder → original value */
  private readonly originals = new Map<string, string>();
  private readonly issued: { type: string; placeholder: string }[] = [];
  private readonly fieldPlaceholders = new Map<string, string>();
  private readonly knownPattern: RegExp | undefined;
  /** folded match → placeholder, for known-value matches (variants fold to the same key) */
  private readonly knownLookup = new Map<string, string>();
  private readonly knownSources: { re: RegExp; placeholder: string }[] = [];
  /** Names the recognisers found in this job (folded → placeholder): hidden wherever they appear again. */
  private readonly learned = new Map<string, string>();

  constructor(known: Record<string, string | null | undefined>, _options: { lang?: 'de' | 'en' } = {}) {
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
        for (const part of f.split(/[-\s]+/).filter((p) => p.length > 2 && p !== f)) add('PERSON', part, variantSource(part));
      }
      if (l) {
        add('PERSON', l, variantSource(l), `${prefix}lastname`);
        for (const part of l.split(/[-\s]+/).filter((p) => p.length > 2 && p !== l)) add('PERSON', part, variantSource(part));
      }
    };
    person('', known.firstname, known.lastname);
    person('owner_', known.owner_firstname, known.owner_lastname);
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
    for (const v of values) this.knownSources.push({ re: new RegExp(`^(?:${v.source})$`, 'u'), placeholder: v.placeholder });
    if (values.length > 0) {
      // A German or English genitive ("Annas Angebot", "Anna's offer") is matched with the name.
      this.knownPattern = new RegExp(`${WORD_BEFORE}(${values.map((v) => v.source).join('|')})(s)?${WORD_AFTER}`, 'gu');
    }
  }

  private placeholderOf(type: string, original: string): string {
    const key = `${type}\u0000${type === 'PHONE' ? phoneKey(original) : fold(original)}`;
    let placeholder = this.byValue.get(key);
    if (!placeholder) {
      const n = (this.counters.get(type) ?? 0) + 1;
      this.counters.set(type, n);
      placeholder = `[[${type}_${n}]]`;
      this.byValue.set(key, placeholder);
      this.originals.set(placeholder, original);
      this.issued.push({ type, placeholder });
    }
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
    if (this.knownPattern) out = this.replaceKnown(out, this.knownPattern, (match) => this.knownPlaceholder(match));
    if (this.learned.size > 0) out = this.replaceLearned(out);
    const spans = recognise(out, { emailsDone: true });
    if (spans.length === 0) return out;
    let result = '';
    let last = 0;
    const learnedBefore = this.learned.size;
    for (const span of spans) {
      const value = out.slice(span.start, span.end);
      const placeholder = this.placeholderOf(span.type, value);
      if (span.type === 'PERSON') this.learn(value, placeholder);
      result += out.slice(last, span.start) + placeholder;
      last = span.end;
    }
    result += out.slice(last);
    // A name found once is hidden everywhere: "mit Lisann und Stella … Lisann bringt die Unterlagen".
    if (this.learned.size > learnedBefore) result = this.replaceLearned(result);
    return result;
  }

  /** Remembers a recognised name, and its parts that are not ordinary words, for the rest of the job. */
  private learn(value: string, placeholder: string): void {
    const key = fold(value).replace(/ /g, '');
    if (key.length < 3 || this.learned.has(key)) return;
    this.learned.set(key, placeholder);
    const parts = value.split(/[\s-]+/).filter((p) => p.length >= 3 && /^\p{Lu}/u.test(p) && !isCommonWord(p));
    if (parts.length > 1) {
      for (const part of parts) {
        const partKey = fold(part).replace(/ /g, '');
        if (!this.learned.has(partKey)) this.learned.set(partKey, this.placeholderOf('PERSON', part));
      }
    }
  }

  /**
   * Learned names by word lookup on the skeleton (one to three words, joined without spaces), not by
   * a regex alternation: linear in the text however many names the job has collected.
   */
  private replaceLearned(text: string): string {
    const sk = skeleton(text);
    const words: [number, number][] = [];
    for (const m of sk.text.matchAll(SKELETON_WORD)) words.push([m.index, m.index + m[0].length]);
    let out = '';
    let last = 0;
    for (let i = 0; i < words.length; i++) {
      for (let n = Math.min(3, words.length - i); n >= 1; n--) {
        const [from] = words[i]!;
        const [, to] = words[i + n - 1]!;
        // Only words separated by one space (or joined by an apostrophe or hyphen) form a name.
        if (n > 1 && !/^[\p{L}\p{N} ]+$/u.test(sk.text.slice(from, to))) continue;
        if (from > 0 && /[@._%+]/.test(sk.text[from - 1]!)) continue;
        const joined = sk.text.slice(from, to).replace(/ /g, '');
        let placeholder = this.learned.get(joined);
        let genitive = false;
        if (!placeholder && joined.endsWith('s')) {
          placeholder = this.learned.get(joined.slice(0, -1));
          genitive = placeholder !== undefined;
        }
        if (!placeholder) continue;
        const start = sk.start[from]!;
        const end = sk.end[to - 1]!;
        out += text.slice(last, start) + placeholder + (genitive ? "'s" : '');
        last = end;
        i += n - 1;
        break;
      }
    }
    return out + text.slice(last);
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
    return Object.fromEntries(this.originals);
  }
}
