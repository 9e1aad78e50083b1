/**
 * Identifiers and dates of birth that are recognised by their cue word or their national format:
 * German Steuernummer (Länder formats and the 13-digit federal form), Austrian social-insurance
 * numbers (check digit), identity-card and passport numbers after their cue, and dates of birth in
 * every common format when a birth cue is near. Business dates without such a cue stay untouched.
 */
export interface IdentifierSpan {
  type: 'TAXID' | 'SSN' | 'IDDOC' | 'DOB';
  start: number;
  end: number;
}

const MONTHS_DE =
  'Januar|J(?:ä|ae)nner|Februar|M(?:ä|ae)rz|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember';
const MONTHS_EN = 'January|February|March|April|May|June|July|August|September|October|November|December';
const MONTH_ABBR = 'Jan|Feb|M(?:ä|ae)r|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Okt|Oct|Nov|Dez|Dec';
// Day-month-year, year-month-day and month-day-year, with any separator, two- or four-digit years.
const DATE =
  `(?:\\d{4}\\s?[./-]\\s?\\d{1,2}\\s?[./-]\\s?\\d{1,2}|\\d{1,2}\\s?[./-]\\s?\\d{1,2}\\s?[./-]\\s?\\d{2,4}` +
  `|\\d{1,2}\\.?\\s?(?:${MONTHS_DE}|${MONTHS_EN}|(?:${MONTH_ABBR})\\.?)\\s?\\d{2,4}` +
  `|(?:${MONTHS_DE}|${MONTHS_EN}|(?:${MONTH_ABBR})\\.?)\\s\\d{1,2}(?:st|nd|rd|th)?,?\\s\\d{2,4}|\\d{8})`;
// The cue, then up to 40 characters of words and punctuation ("laut Ausweis:", "as on file:"),
// then the date in any format. "*" right before a date is the German birth sign ("(*22.10.1994)").
const BIRTH_CUE =
  '(?:Geburts(?:datum|tag|jahr|dat\\.?)|Geb\\.-?\\s?(?:Datum|Dat\\.?)|geb(?:\\.|oren)|Date of birth|Birth ?(?:date|day)|DOB|D\\.O\\.B\\.?|born|b\\.)';
const DOB = new RegExp(`(?:${BIRTH_CUE}[^\\d\\n!?]{0,40}?|\\*\\s?)${DATE}(?!\\d)`, 'gi');

const TAX_CUE =
  '(?:Steuernummer|Steuer-?Nr\\.?|St\\.-?\\s?Nr\\.?|StNr\\.?|Steuer-Nummer|tax (?:number|no\\.?|reference)|German tax no\\.?)';
const TAX_NUMBER = '\\d{2,5}(?:[ /]\\d{3,5}){1,3}|\\d{10,13}';
const TAX_AFTER_CUE = new RegExp(`${TAX_CUE}\\s*:?\\s*(${TAX_NUMBER})(?!\\d)`, 'gi');
// The slashed Länder formats are distinctive enough without a cue: 181/815/08155, 21/815/08150, 93815/08152, 133/8150/8159.
const TAX_SLASHED = /(?<![\d/.])(?:\d{2,3}\/\d{3,4}\/\d{4,5}|\d{5}\/\d{5})(?![\d/])/g;

const SSN_CUE =
  '(?:Sozialversicherungs(?:nummer|-?Nr\\.?)|SV-?(?:Nummer|Nr\\.?)|SVNR|Versicherungsnummer|Rentenversicherungsnummer|RV-?Nr\\.?|AHV-?(?:Nummer|Nr\\.?)|social security (?:number|no\\.?)|SSN|national insurance (?:number|no\\.?)|NI number|NINO)';
// The value ends where a word does: no letter of any Latin alphabet after it ("… 135 für" is not "135 f").
const SSN_AFTER_CUE = new RegExp(
  `${SSN_CUE}\\s*:?\\s*([A-Z0-9](?:[A-Z0-9 ./-]{6,18})[A-Z0-9])(?![A-Za-z0-9\\u00C0-\\u024F])`,
  'gi',
);
// Austrian SV-Nummer: 3-digit serial, check digit, birth date DDMMYY.
const AT_SSN = /(?<!\d)\d{4} ?\d{6}(?!\d)/g;

const ID_CUE =
  '(?:Personalausweis(?:nummer|-?Nr\\.?)?|Ausweis(?:nummer|-?Nr\\.?)|Reisepass(?:nummer|-?Nr\\.?)?|Pass(?:nummer|-?Nr\\.?)|Identit(?:ä|ae)tskarte|Dokumentennummer|passport(?: number| no\\.?)?|ID[ -]card(?: number| no\\.?)?|identity card(?: number| no\\.?)?|ID (?:number|no\\.?)|document number|driving licen[cs]e(?: number| no\\.?)?|F(?:ü|ue)hrerschein(?:nummer|-?Nr\\.?)?)';
const ID_AFTER_CUE = new RegExp(
  `${ID_CUE}\\s*:?\\s*(?:(?:ist|is|lautet|die|the|der)\\s+)?([A-Z0-9]{6,12})(?![A-Za-z0-9])`,
  'gi',
);

// A cue starts a word: no Latin letter right before it (the class as a case-insensitive regex sees it).
// Checked by hand on each match instead of a lookbehind in front of the cue: with the lookbehind first
// the engine tries every position of the text; without it, it can skip ahead to a possible cue.
const LETTER_BEFORE = /[A-Za-z\u00C0-\u024F]/i;

/** The matches of a global regex whose match must start a word, as a lookbehind would have found them. */
function* cueMatches(re: RegExp, text: string): Generator<RegExpExecArray> {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m.index > 0 && LETTER_BEFORE.test(text[m.index - 1]!)) {
      // Not at a word start: no match can start here; the next position may.
      re.lastIndex = m.index + 1;
      continue;
    }
    yield m;
  }
}

export function atSsnValid(raw: string): boolean {
  const d = raw.replace(/\s/g, '');
  if (!/^\d{10}$/.test(d) || d[0] === '0') return false;
  const day = Number(d.slice(4, 6));
  const month = Number(d.slice(6, 8));
  if (day < 1 || day > 31 || month < 1 || month > 12) return false;
  const w = [3, 7, 9, 0, 5, 8, 4, 2, 1, 6];
  const sum = [...d].reduce((s, x, i) => s + Number(x) * w[i]!, 0);
  return sum % 11 === Number(d[3]);
}

export function identifierSpans(text: string, out: IdentifierSpan[]): void {
  for (const m of cueMatches(DOB, text))
    out.push({ type: 'DOB', start: m.index, end: m.index + m[0].length });
  for (const m of cueMatches(TAX_AFTER_CUE, text)) {
    out.push({ type: 'TAXID', start: m.index + m[0].length - m[1]!.length, end: m.index + m[0].length });
  }
  for (const m of text.matchAll(TAX_SLASHED))
    out.push({ type: 'TAXID', start: m.index, end: m.index + m[0].length });
  for (const m of cueMatches(SSN_AFTER_CUE, text)) {
    const value = m[1]!;
    if (!/\d/.test(value)) continue;
    out.push({ type: 'SSN', start: m.index + m[0].length - value.length, end: m.index + m[0].length });
  }
  for (const m of text.matchAll(AT_SSN))
    if (atSsnValid(m[0])) out.push({ type: 'SSN', start: m.index, end: m.index + m[0].length });
  for (const m of cueMatches(ID_AFTER_CUE, text)) {
    const value = m[1]!;
    // Document numbers are upper case and carry a digit, or are long ("L01X00T47", "CFGHJKLMN").
    if (value !== value.toUpperCase() || (!/\d/.test(value) && value.length < 8)) continue;
    out.push({ type: 'IDDOC', start: m.index + m[0].length - value.length, end: m.index + m[0].length });
  }
}
