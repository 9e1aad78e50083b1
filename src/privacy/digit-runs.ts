import { ibanValid } from './checksums.ts';

/**
 * Default deny for long numbers: a run of six or more digits (separators ignored) is personal unless it
 * has the shape of a business value: an order, invoice, ticket or delivery number with its prefix,
 * an amount or quantity, a date, a year range, a version, a postcode before a city. IBANs are found
 * by their checksum in any case and grouping.
 */
export interface RunSpan {
  type: 'NUMBER' | 'IBAN';
  start: number;
  end: number;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isAlnum = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

// A business word right before the number: its own identifier, not a person's.
const BUSINESS_BEFORE =
  /(?:\bPO|Auftrag\w*|Bestell\w*|order|Rechnung\w*|invoice|Lieferschein\w*|Liefer(?:ung|nummer)|delivery|shipment|Sendung\w*|tracking|Angebot\w*|quote|quotation|offer|Ticket\w*|case|Vorgang\w*|Kunden\w*|customer|client|Vertrag\w*|contract|Artikel\w*|Art\.|article|item|part|SKU|EAN|GTIN|ISBN|ISSN|DOI|Material\w*|Serien\w*|serial|S\/N|SN|Charge|batch|lot|ref\.?|Referenz|reference|Projekt\w*|project|Bestand|stock|Lager\w*|Aktenzeichen|Az\.|file|PLZ|Modell|model|Typ|type|#)\s*(?:no\.?|nr\.?|number|nummer|id)?\s*[:.#]?\s*$/i;
const VERSION_BEFORE = /(?:version|vers\.|release|build|firmware|v)\s*$/i;
const CURRENCY_BEFORE = /(?:€|\$|£|¥|EUR|USD|CHF|GBP|SEK|NOK|DKK|PLN|CZK|HUF)\s?$/i;
const UNIT_AFTER =
  /^\s?(?:€|\$|£|EUR|Euro|USD|CHF|GBP|SEK|NOK|DKK|PLN|CZK|HUF|k\b|Mio|Mrd|Tsd|million|billion|Stück|Stk|pcs|units|Einheiten|kWh|MWh|kW|km|m²|m2|qm|kg|t\b|Liter|l\b|%|Prozent|percent|Besucher|visitors|Nutzer|users|Kunden|customers|Plätze|seats)/i;

// Shapes that are dates, year ranges or amounts when they stand alone.
const DATE_LIKE =
  /^(?:\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./]\d{4}|\d{4}[-/]\d{2}|(?:19|20)\d{2}\s?[-/]\s?(?:19|20)?\d{2})$/;
const GROUPED_AMOUNT = /^\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,2})?$/;

/** The run of digits and single separators (" ", ".", "/", "-") starting at `from`. */
function runEnd(text: string, from: number): number {
  let i = from;
  let end = from;
  while (i < text.length) {
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    end = i;
    const sep = text[i];
    if (
      (sep === ' ' || sep === '.' || sep === '/' || sep === '-' || sep === ',') &&
      isDigit(text.charCodeAt(i + 1))
    ) {
      // A comma joins only a decimal or thousands part ("1.250,00"), never "3, 4".
      if (sep === ',' && !/^\d{2,3}(?!\d)/.test(text.slice(i + 1, i + 5))) break;
      i++;
    } else break;
  }
  return end;
}

function isBusinessShape(text: string, start: number, end: number): boolean {
  const run = text.slice(start, end);
  if (DATE_LIKE.test(run) || GROUPED_AMOUNT.test(run)) return true;
  // A prefix glued to it ("RE-2024-000123", "PO4500012345", "#123456"): an identifier of known shape.
  const b = start > 0 ? text.charCodeAt(start - 1) : 32;
  if (isAlnum(b) || b === 35) return true;
  if ((b === 45 || b === 47 || b === 95) && start > 1 && isAlnum(text.charCodeAt(start - 2))) return true;
  const before = text.slice(Math.max(0, start - 40), start);
  if (BUSINESS_BEFORE.test(before) || VERSION_BEFORE.test(before) || CURRENCY_BEFORE.test(before))
    return true;
  if (UNIT_AFTER.test(text.slice(end, end + 12))) return true;
  // Dotted version or IP-like quads are left to their own recognisers.
  return /^\d+(?:\.\d+){2,}$/.test(run) && run.split('.').every((p) => p.length <= 3);
}

export function digitRunSpans(text: string, out: RunSpan[]): void {
  for (let i = 0; i < text.length; i++) {
    if (!isDigit(text.charCodeAt(i)) || (i > 0 && isDigit(text.charCodeAt(i - 1)))) continue;
    const end = runEnd(text, i);
    let digits = 0;
    for (let k = i; k < end; k++) if (isDigit(text.charCodeAt(k))) digits++;
    if (
      digits >= 6 &&
      !(isAlnum(text.charCodeAt(end)) && !isDigit(text.charCodeAt(end))) &&
      !isBusinessShape(text, i, end)
    ) {
      out.push({ type: 'NUMBER', start: i, end });
    }
    i = end;
  }
}

// Two letters, two check digits, then letters and digits in any grouping (spaces, dots, dashes).
const IBAN_START = /(?<![A-Za-z0-9])[A-Za-z]{2}\s?\d{2}(?=[ .-]?[A-Za-z0-9])/g;

/**
 * The letters and digits of a possible IBAN from `from`, upper-cased, with where each ends and how
 * many digits precede it. A group without a digit ends it (words after an IBAN are not part of it),
 * except the bank code right after the check digits ("GB82 WEST 1234 …").
 */
function ibanChars(text: string, from: number): { chars: string[]; ends: number[]; digits: number[] } {
  const chars: string[] = [];
  const ends: number[] = [];
  const digits: number[] = [];
  let d = 0;
  for (let i = from; i < text.length && chars.length < 34;) {
    let j = i;
    let groupDigits = 0;
    while (j < text.length && isAlnum(text.charCodeAt(j)))
      groupDigits += isDigit(text.charCodeAt(j++)) ? 1 : 0;
    if (j === i || (groupDigits === 0 && chars.length >= 8)) break;
    for (let k = i; k < j && chars.length < 34; k++) {
      chars.push(text[k]!.toUpperCase());
      if (isDigit(text.charCodeAt(k))) d++;
      ends.push(k + 1);
      digits.push(d);
    }
    const c = text.charCodeAt(j);
    if (!((c === 32 || c === 45 || c === 46) && isAlnum(text.charCodeAt(j + 1)))) break;
    i = j + 1;
  }
  return { chars, ends, digits };
}

/** IBANs in any case and grouping, by their mod-97 checksum: the longest valid prefix of the run. */
export function ibanSpans(text: string, out: RunSpan[]): void {
  IBAN_START.lastIndex = 0;
  for (let m = IBAN_START.exec(text); m; m = IBAN_START.exec(text)) {
    const { chars, ends, digits } = ibanChars(text, m.index);
    for (let n = chars.length; n >= 15; n--) {
      if (digits[n - 1]! >= 11 && ibanValid(chars.slice(0, n).join(''))) {
        out.push({ type: 'IBAN', start: m.index, end: ends[n - 1]! });
        IBAN_START.lastIndex = ends[n - 1]!;
        break;
      }
    }
  }
}
