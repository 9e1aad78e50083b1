import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { findEmails, recognise, type EntityType } from './recognisers.ts';
import type { Language } from '../policy.ts';

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

/** ä/ae, ö/oe, ü/ue, ß/ss, accents: one folded key for every spelling of a value. */
export function fold(value: string): string {
  return value
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Accented forms of a base letter: "José" in the CRM also matches "Jose" in a note, and back. */
const ACCENTED: Record<string, string> = { a: 'aáàâãä', e: 'eéèêë', i: 'iíìîï', o: 'oóòôõøö', u: 'uúùûü', c: 'cç', n: 'nñ', y: 'yý', s: 'sš', z: 'zž' };

/** A regex source matching a value in any of its spellings (umlaut or transliterated, accents, any case). */
function variantSource(value: string): string {
  let out = '';
  const v = value.trim();
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    const lower = c.toLowerCase();
    const two = v.slice(i, i + 2).toLowerCase();
    if (lower === 'ä' || two === 'ae') out += '(?:ä|ae|a)';
    else if (lower === 'ö' || two === 'oe') out += '(?:ö|oe|o)';
    else if (lower === 'ü' || two === 'ue') out += '(?:ü|ue|u)';
    else if (lower === 'ß' || two === 'ss') out += '(?:ß|ss)';
    else if (/\s/.test(c)) {
      out += '[\\s-]+';
      while (i + 1 < v.length && /\s/.test(v[i + 1]!)) i++;
      continue;
    } else if (c === '-') out += '[\\s-]?';
    else {
      const base = lower.normalize('NFD').replace(/[\u0300-\u036f]/g, '');
      const accented = ACCENTED[base.length === 1 ? base : lower];
      // A plain a/o/u may stand for an umlaut in the other spelling ("Muller" in the CRM, "Müller" in the note).
      const umlaut = base === 'a' ? '|ae' : base === 'o' ? '|oe' : base === 'u' ? '|ue' : '';
      out += accented ? (umlaut ? `(?:[${accented}]${umlaut})` : `[${accented}]`) : escape(c);
    }
    if (two === 'ae' || two === 'oe' || two === 'ue' || two === 'ss') i++;
  }
  return out;
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
  return parsePhoneNumberFromString(raw.replace(/\(0\)/, ''), 'DE')?.number ?? raw.replace(/\D/g, '');
}

interface KnownValue {
  type: EntityType;
  canonical: string;
  source: string;
  placeholder: string;
}

// Latin letters incl. umlauts and accents; a non-unicode regex compiles and runs much faster.
const LETTER = 'A-Za-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u024F0-9';
const WORD_BEFORE = `(?<![${LETTER}@._%+-])`;
const WORD_AFTER = `(?![${LETTER}]|@[${LETTER}])`;

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
        add('PERSON', `${f} ${l}`, `${escape(f[0]!)}\\.\\s?${variantSource(l)}`);
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
        add('EMAIL', raw, escape(raw.trim()), field);
        const local = raw.split('@')[0]!;
        if (local.length >= 4) add('EMAIL', local, escape(local));
      } else add(type, raw, variantSource(raw), field);
    }
    values.sort((a, b) => b.source.length - a.source.length);
    for (const v of values) this.knownSources.push({ re: new RegExp(`^(?:${v.source})$`, 'i'), placeholder: v.placeholder });
    if (values.length > 0) {
      // A German or English genitive ("Annas Angebot", "Anna's offer") keeps its ending after the placeholder.
      this.knownPattern = new RegExp(`${WORD_BEFORE}(${values.map((v) => v.source).join('|')})((?:s|'s|’s)(?=[^${LETTER}]|$))?${WORD_AFTER}`, 'gi');
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
    if (this.knownPattern) {
      out = out.replace(this.knownPattern, (_m, match: string, genitive: string | undefined) => {
        let placeholder = this.knownLookup.get(match);
        if (!placeholder) {
          const hit = this.knownSources.find((k) => k.re.test(match));
          placeholder = hit?.placeholder ?? this.placeholderOf('PERSON', match);
          this.knownLookup.set(match, placeholder);
        }
        return genitive ? placeholder + genitive : placeholder;
      });
    }
    const spans = recognise(out, { emailsDone: true });
    if (spans.length === 0) return out;
    let result = '';
    let last = 0;
    for (const span of spans) {
      const value = out.slice(span.start, span.end);
      result += out.slice(last, span.start) + this.placeholderOf(span.type, value);
      last = span.end;
    }
    return result + out.slice(last);
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
