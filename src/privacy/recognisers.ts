import { findPhoneNumbersInText } from 'libphonenumber-js/max';
import { identifierSpans, type IdentifierSpan } from './identifiers.ts';
import { findNames } from './names.ts';
import { ibanValid } from './checksums.ts';
import { cuedValueSpans, type CuedSpan } from './cued-values.ts';
import { digitRunSpans, ibanSpans, type RunSpan } from './digit-runs.ts';

export { ibanValid } from './checksums.ts';

/**
 * Recognisers for personal values the CRM did not tell us about, in German and English free text.
 * Each returns spans; the pseudonymiser replaces them with typed placeholders. Patterns are compiled
 * once at module load (hot path).
 */
export type EntityType =
  | 'PERSON'
  | 'EMAIL'
  | 'PHONE'
  | 'IBAN'
  | 'CARD'
  | 'TAXID'
  | 'SSN'
  | 'IDDOC'
  | 'DOB'
  | 'ADDRESS'
  | 'IP'
  | 'URL'
  | 'COMPANY'
  | 'VALUE'
  | 'NUMBER';

export interface Span {
  type: EntityType;
  start: number;
  end: number;
}

const PLACEHOLDER = /\[\[[A-Z]+_\d+\]\]/g;

const EMAIL_DOMAIN = /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/;
const isLocalChar = (c: number) =>
  (c >= 97 && c <= 122) ||
  (c >= 65 && c <= 90) ||
  (c >= 48 && c <= 57) ||
  c === 46 ||
  c === 95 ||
  c === 37 ||
  c === 43 ||
  c === 45;
const NON_ASCII_LOCAL = /[\p{L}\p{M}]/u;
const isDomainChar = (c: number) =>
  (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 45;

/**
 * E-mail addresses as [start, end) ranges. Expands around each "@" instead of running a regex that
 * starts at every character: same matches as /[A-Za-z0-9._%+-]+@domain/, several times faster.
 */
export function findEmails(text: string): [number, number][] {
  const found: [number, number][] = [];
  let at = text.indexOf('@');
  let minStart = 0;
  while (at !== -1) {
    let start = at;
    // Internationalised local parts ("khánh@…", RFC 6531) too: a letter or mark of any script.
    while (
      start > minStart &&
      (isLocalChar(text.charCodeAt(start - 1)) ||
        (text.charCodeAt(start - 1) > 127 && NON_ASCII_LOCAL.test(text[start - 1]!)))
    )
      start--;
    let end = at + 1;
    while (end < text.length && isDomainChar(text.charCodeAt(end))) end++;
    const domain = start < at ? EMAIL_DOMAIN.exec(text.slice(at + 1, end)) : null;
    if (domain) {
      const stop = at + 1 + domain[0].length;
      found.push([start, stop]);
      minStart = stop;
      at = text.indexOf('@', stop);
    } else at = text.indexOf('@', at + 1);
  }
  return found;
}
const URL_WITH_PERSON =
  /\b(?:https?:\/\/)?(?:www\.)?(?:linkedin\.com\/in|xing\.com\/profile|facebook\.com|instagram\.com|twitter\.com|x\.com|github\.com)\/[^\s)>\]]+|\bmailto:[^\s)>\]]+/gi;
const URL_GENERIC = /\bhttps?:\/\/[^\s)>\]]+/gi;
const IBAN = /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b/g;
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
const TAXID = /\b\d{2}[ ]?\d{3}[ ]?\d{3}[ ]?\d{3}\b/g;
// Rentenversicherungsnummer: area (2 digits), birth date (6), initial letter, serial (2), check (1).
const SSN = /\b\d{2}[ ]?\d{6}[ ]?[A-Z][ ]?\d{3}\b/g;
const IPV4 = /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g;
const VERSION_BEFORE = /(?:version|vers\.|release|build|firmware|v)\s*$/i;
// Both forms share the first group, so the engine tries one prefix per word boundary, not two.
const IPV6 =
  /\b[0-9a-f]{1,4}:(?:(?:[0-9a-f]{1,4}:){6}[0-9a-f]{1,4}\b|(?:[0-9a-f]{1,4}:){0,5}:(?:[0-9a-f]{1,4}:?){1,6}\b)/gi;
const STREET_WORDS =
  '(?:[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*(?:straße|strasse|str\\.|weg|gasse|platz|allee|ring|damm|ufer|steig|chaussee|markt|hof)|[A-ZÄÖÜ][a-zäöüß]+(?:er)? (?:Straße|Strasse|Str\\.|Weg|Allee|Platz|Ring|Gasse|Damm)|[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)*-(?:Straße|Strasse|Str\\.|Weg|Platz|Allee|Ring|Gasse)|(?:Am|An der|An den|Im|In der|Auf der|Zum|Zur) [A-ZÄÖÜ][a-zäöüß]+(?: [A-ZÄÖÜ][a-zäöüß]+)?|[A-Z][a-z]+ (?:Street|St\\.|Road|Rd\\.|Avenue|Ave\\.|Lane|Drive|Way))';
const STREET = new RegExp(
  `\\b${STREET_WORDS}\\s\\d{1,4}(?:\\s?[a-zA-Z]\\b)?(?:,?\\s(?:in\\s)?(?:[A-Z]{1,2}-)?\\d{4,5}\\s[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*)?`,
  'g',
);
// Any capitalised street name ("Auf dem Acker 2", "Alte Ziegelei 56c") when postcode and city follow.
// Looked for backwards from each postcode, so the cost is per postcode, not per capitalised word.
const STREET_BEFORE_POSTCODE =
  /(?:^|[^A-Za-zÄÖÜäöüß.-])([A-ZÄÖÜ][a-zäöüß.-]+(?:\s(?:dem|der|den|[A-ZÄÖÜ][a-zäöüß.-]+)){0,3}\s\d{1,4}[a-zA-Z]?,\s)$/;
// English order: number first ("221B Baker Street").
const STREET_EN =
  /\b\d{1,4}[A-Z]?\s(?:[A-Z][a-z]+\s){1,2}(?:Street|St\.|Road|Rd\.|Avenue|Ave\.|Lane|Drive|Way|Close|Square|Crescent)(?=[\s,.;]|$)/g;
const POSTCODE_CITY =
  /(?:\b(?:D-)?\d{5}|\b(?:A|CH)-\d{4})\s(?:[A-ZÄÖÜ][a-zäöüß]+)(?:[ -](?:am|an der|im|bei|[A-ZÄÖÜ][a-zäöüß]+))*(?:\s[A-ZÄÖÜ][a-zäöüß]+)?\b/g;

function luhn(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** German Steuer-ID: 11 digits, first not 0, ISO 7064 MOD 11,10 check digit, one digit repeated. */
export function taxIdValid(raw: string): boolean {
  const id = raw.replace(/\s/g, '');
  if (!/^[1-9]\d{10}$/.test(id)) return false;
  const counts = new Map<string, number>();
  for (const c of id.slice(0, 10)) counts.set(c, (counts.get(c) ?? 0) + 1);
  const repeated = [...counts.values()].filter((n) => n > 1);
  if (repeated.length !== 1 || repeated[0]! > 3) return false;
  let product = 10;
  for (let i = 0; i < 10; i++) {
    let sum = (Number(id[i]) + product) % 10;
    if (sum === 0) sum = 10;
    product = (sum * 2) % 11;
  }
  let check = 11 - product;
  if (check === 10) check = 0;
  return check === Number(id[10]);
}

/** Rentenversicherungsnummer check digit (weights 2,1,2,5,7,1,2,1,2,1,2,1 over digits, letter as two digits). */
export function ssnValid(raw: string): boolean {
  const v = raw.replace(/\s/g, '').toUpperCase();
  if (!/^\d{8}[A-Z]\d{3}$/.test(v)) return false;
  const letter = String(v.charCodeAt(8) - 64).padStart(2, '0');
  const digits = v.slice(0, 8) + letter + v.slice(9, 11);
  const weights = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1];
  let sum = 0;
  for (let i = 0; i < 12; i++) {
    const p = Number(digits[i]) * weights[i]!;
    sum += Math.floor(p / 10) + (p % 10);
  }
  return sum % 10 === Number(v[11]);
}

// Cheap pre-filter: only stretches that look like a phone number go through libphonenumber.
const PHONE_CANDIDATE = /(?:\+|\b00|\(0|\b0)[\d\s()./-]{5,24}\d/g;
const LOOSE_PHONE =
  /(?:\+|00)\d{1,3}[\s./-]?(?:\(0\)[\s./-]?)?\(?\d{1,5}\)?(?:[\s./-]?\d{2,8}){1,5}\b|\b0\d{2,5}\s?[/.-]?\s?\(?\d{2,}\)?(?:[\s.-]?\d{2,}){0,4}\b|\(0\d{2,5}\)\s?\d{3,}(?:[\s-]?\d{2,}){0,3}/g;

// A date is a date, not a phone number: 02.06.2025, 2.6.25, 02/06/2025, 2025-06-02.
const DATE_SHAPE =
  /^(?:(?:0?[1-9]|[12]\d|3[01])([./])(?:0?[1-9]|1[0-2])\1(?:\d{2}|\d{4})|(?:0?[1-9]|1[0-2])\/(?:0?[1-9]|[12]\d|3[01])\/\d{4}|\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))$/;
// Order, invoice and customer numbers are business data: a number right after such a word is not a phone.
const BUSINESS_NUMBER_BEFORE =
  /(?:\bPO|\bP\.O\.|Auftrag(?:snummer|s-?Nr\.?)?|Bestell(?:ung|nummer|-?Nr\.?)|\border(?: no\.?| number)?|Rechnung(?:snummer|s-?Nr\.?)?|\binvoice(?: no\.?| number)?|Lieferschein(?:nummer)?|delivery note|Angebot(?:snummer)?|\bquote|Ticket|Kunden(?:nummer|-?Nr\.?)|customer (?:no\.?|number|id)|Vertrag(?:snummer)?|contract (?:no\.?|number)|Artikel(?:nummer)?|Art\.-?Nr\.|Seriennummer|serial(?: no\.?| number)?|Charge|batch|\bref\.?|Referenz|#)\s*[:.]?\s*$/i;
const PHONE_BEFORE =
  /(?:tel|telefon|phone|fon|fax|mobil|mobile|handy|cell|ruf|call|whatsapp|durchwahl|erreichbar|unter|on)\b[^\d\n]{0,12}$/i;

function phoneSpans(text: string, out: Span[]): void {
  // The same number often comes again in one text: libphonenumber's answer is kept for this text only.
  const parsed = new Map<string, { startsAt: number; endsAt: number }[]>();
  for (const candidate of text.matchAll(PHONE_CANDIDATE)) {
    const stretch = candidate[0];
    const digits = stretch.replace(/\D/g, '').length;
    if (digits < 7) continue;
    if (DATE_SHAPE.test(stretch.trim())) continue;
    const before = text.slice(Math.max(0, candidate.index - 32), candidate.index);
    if (BUSINESS_NUMBER_BEFORE.test(before) && !PHONE_BEFORE.test(before)) continue;
    // The loose forms first (cheap): +49 (0) 30 …, spaced groups, Austrian/Swiss national forms.
    let covered = 0;
    for (const m of stretch.matchAll(LOOSE_PHONE)) {
      const d = m[0].replace(/\D/g, '').length;
      if (d >= 7 && d <= 15 && !DATE_SHAPE.test(m[0])) {
        out.push({
          type: 'PHONE',
          start: candidate.index + m.index,
          end: candidate.index + m.index + m[0].length,
        });
        covered += d;
      }
    }
    // libphonenumber knows every numbering plan but costs ~0.1 ms a call: only for what the loose forms left.
    if (covered < digits) {
      let found = parsed.get(stretch);
      if (!found) {
        found = findPhoneNumbersInText(stretch, { defaultCountry: 'DE' }).map((f) => ({
          startsAt: f.startsAt,
          endsAt: f.endsAt,
        }));
        parsed.set(stretch, found);
      }
      for (const f of found)
        if (!DATE_SHAPE.test(stretch.slice(f.startsAt, f.endsAt)))
          out.push({ type: 'PHONE', start: candidate.index + f.startsAt, end: candidate.index + f.endsAt });
    }
  }
}

function regexSpans(
  text: string,
  re: RegExp,
  type: EntityType,
  out: Span[],
  accept?: (match: string) => boolean,
): void {
  for (const m of text.matchAll(re)) {
    if (!accept || accept(m[0])) out.push({ type, start: m.index, end: m.index + m[0].length });
  }
}

function nameSpans(text: string, out: Span[]): void {
  for (const n of findNames(text)) out.push({ type: 'PERSON', start: n.start, end: n.end });
}

/** All recogniser hits, overlaps resolved (longest first), placeholders never matched. */
export function recognise(text: string, options: { emailsDone?: boolean } = {}): Span[] {
  const spans: Span[] = [];
  regexSpans(text, URL_WITH_PERSON, 'URL', spans);
  // The pseudonymiser replaces addresses before anything else; no need to look for them twice.
  if (!options.emailsDone)
    for (const [start, end] of findEmails(text)) spans.push({ type: 'EMAIL', start, end });
  regexSpans(text, URL_GENERIC, 'URL', spans, (u) =>
    /[A-Za-z]+[._-][A-Za-z]+@|\/(?:~|users?\/|people\/|profile\/|team\/[a-z]+-[a-z]+)/i.test(u),
  );
  if (!/\d/.test(text)) {
    // No digit: no IBAN, card, tax id, phone, date of birth, postcode, house number or IP can be here.
    nameSpans(text, spans);
    return resolveOverlaps(spans, placeholderRanges(text));
  }
  regexSpans(text, IBAN, 'IBAN', spans, ibanValid);
  regexSpans(text, CARD, 'CARD', spans, (m) => {
    const d = m.replace(/\D/g, '');
    return d.length >= 13 && d.length <= 19 && luhn(d);
  });
  regexSpans(text, TAXID, 'TAXID', spans, taxIdValid);
  regexSpans(text, SSN, 'SSN', spans, ssnValid);
  const ids: IdentifierSpan[] = [];
  identifierSpans(text, ids);
  spans.push(...ids);
  regexSpans(text, STREET, 'ADDRESS', spans);
  regexSpans(text, STREET_EN, 'ADDRESS', spans);
  for (const m of text.matchAll(POSTCODE_CITY)) {
    const end = m.index + m[0].length;
    const street = STREET_BEFORE_POSTCODE.exec(text.slice(Math.max(0, m.index - 64), m.index));
    spans.push({ type: 'ADDRESS', start: street ? m.index - street[1]!.length : m.index, end });
  }
  for (const m of text.matchAll(IPV4)) {
    // "Version 2.4.1.7" is software, not a host.
    if (!VERSION_BEFORE.test(text.slice(Math.max(0, m.index - 12), m.index)))
      spans.push({ type: 'IP', start: m.index, end: m.index + m[0].length });
  }
  regexSpans(text, IPV6, 'IP', spans, (m) => m.includes(':') && m.length >= 6);
  phoneSpans(text, spans);
  const cued: CuedSpan[] = [];
  cuedValueSpans(text, cued);
  spans.push(...cued);
  const runs: RunSpan[] = [];
  ibanSpans(text, runs);
  spans.push(...runs);
  defaultDeny(text, spans);
  nameSpans(text, spans);
  return resolveOverlaps(spans, placeholderRanges(text));
}

/** Long digit runs that no recogniser claimed: personal unless they have a business shape. */
function defaultDeny(text: string, spans: Span[]): void {
  const runs: RunSpan[] = [];
  digitRunSpans(text, runs);
  if (runs.length === 0) return;
  // One sweep over both lists sorted by start: the cost stays linear on a long text.
  const taken = spans.map((s) => [s.start, s.end] as const).sort((a, b) => a[0] - b[0]);
  let t = 0;
  let reach = 0;
  for (const r of runs) {
    while (t < taken.length && taken[t]![0] < r.end) reach = Math.max(reach, taken[t++]![1]);
    // `reach`: the furthest end among spans starting before this run ends; past its start, one overlaps.
    if (reach <= r.start) spans.push(r);
  }
}

function placeholderRanges(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (const m of text.matchAll(PLACEHOLDER)) ranges.push([m.index, m.index + m[0].length]);
  return ranges;
}

const PRIORITY: Record<EntityType, number> = {
  EMAIL: 9,
  URL: 9,
  IBAN: 8,
  CARD: 8,
  TAXID: 7,
  SSN: 7,
  IDDOC: 7,
  DOB: 7,
  ADDRESS: 6,
  IP: 6,
  PHONE: 5,
  PERSON: 4,
  COMPANY: 3,
  VALUE: 10,
  NUMBER: 2,
};

/** Which of two overlapping spans wins: the longer, then the higher priority, then the earlier. */
const rank = (a: Span, b: Span): number =>
  b.end - b.start - (a.end - a.start) || PRIORITY[b.type] - PRIORITY[a.type] || a.start - b.start;

const overlaps = (ranges: readonly (readonly [number, number])[], start: number, end: number): boolean =>
  ranges.some(([a, b]) => a < end && b > start);

/**
 * Keeps non-overlapping spans: longer and higher-priority first (ties in the order found); nothing
 * inside an existing placeholder. A span competes only with the spans it overlaps, directly or
 * through others: most spans stand alone and are decided on their own, and only each group of
 * overlapping spans is ranked, not every span of the text.
 */
export function resolveOverlaps(spans: Span[], blocked: [number, number][] = []): Span[] {
  const live = spans.filter((s) => s.end > s.start);
  const order = live.map((_, i) => i).sort((x, y) => live[x]!.start - live[y]!.start || x - y);
  const walls = blocked.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const kept: Span[] = [];
  let w = 0;
  for (let k = 0; k < order.length;) {
    const first = live[order[k]!]!;
    let groupEnd = first.end;
    let j = k + 1;
    for (; j < order.length && live[order[j]!]!.start < groupEnd; j++)
      groupEnd = Math.max(groupEnd, live[order[j]!]!.end);
    while (w < walls.length && walls[w]![1] <= first.start) w++;
    const groupWalls: [number, number][] = [];
    for (let v = w; v < walls.length && walls[v]![0] < groupEnd; v++) groupWalls.push(walls[v]!);
    if (j === k + 1) {
      if (!overlaps(groupWalls, first.start, first.end)) kept.push(first);
    } else {
      const taken = groupWalls;
      const won: Span[] = [];
      for (const x of order.slice(k, j).sort((x, y) => rank(live[x]!, live[y]!) || x - y)) {
        const s = live[x]!;
        if (overlaps(taken, s.start, s.end)) continue;
        taken.push([s.start, s.end]);
        won.push(s);
      }
      kept.push(...won.sort((a, b) => a.start - b.start));
    }
    k = j;
  }
  return kept;
}
