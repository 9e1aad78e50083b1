/**
 * The small grammar both readers share (note wishes and reply answers): weekdays, months, ordinals,
 * number words and clock times in German and English. Words are matched as tokens with one typing
 * error allowed on longer words ("Mitwoch", "Donnerstg", "tuesay"), so the readers generalise over
 * spellings instead of listing example sentences.
 */

/** Lower case, German quotes and dashes unified, "ae/oe/ue" kept (both spellings are listed). */
export function normalise(text: string): string {
  return ` ${text
    .toLowerCase()
    .replace(/[„“”«»‚‘’`´]/g, "'")
    .replace(/[–—]/g, '-')
    .replace(/\u00a0/g, ' ')
    .replace(/\s+/g, ' ')} `;
}

const WEEKDAY_FORMS: [number, string[]][] = [
  [1, ['montag', 'montags', 'monday', 'mondays', 'mo', 'mon']],
  [2, ['dienstag', 'dienstags', 'tuesday', 'tuesdays', 'di', 'tue', 'tues']],
  [3, ['mittwoch', 'mittwochs', 'wednesday', 'wednesdays', 'mi', 'wed', 'weds']],
  [4, ['donnerstag', 'donnerstags', 'thursday', 'thursdays', 'do', 'thu', 'thur', 'thurs']],
  [5, ['freitag', 'freitags', 'friday', 'fridays', 'fr', 'fri']],
  [6, ['samstag', 'samstags', 'sonnabend', 'saturday', 'saturdays', 'sa', 'sat']],
  [7, ['sonntag', 'sonntags', 'sunday', 'sundays', 'so', 'sun']],
];
/** Two-letter German abbreviations are also ordinary words ("so", "do", "mi"): only with a dot or comma. */
const SHORT_ONLY_MARKED = new Set(['mo', 'di', 'mi', 'do', 'fr', 'sa', 'so']);

export const MONTHS: Record<string, number> = {
  januar: 1,
  jänner: 1,
  january: 1,
  jan: 1,
  februar: 2,
  february: 2,
  feb: 2,
  märz: 3,
  maerz: 3,
  march: 3,
  mar: 3,
  april: 4,
  apr: 4,
  mai: 5,
  may: 5,
  juni: 6,
  june: 6,
  jun: 6,
  juli: 7,
  july: 7,
  jul: 7,
  august: 8,
  aug: 8,
  september: 9,
  sept: 9,
  sep: 9,
  oktober: 10,
  october: 10,
  okt: 10,
  oct: 10,
  november: 11,
  nov: 11,
  dezember: 12,
  december: 12,
  dez: 12,
  dec: 12,
};
export const MONTH_PATTERN = `(${Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|')})(?![a-zäöüß])\\.?`;

/** Ordinal words by 0-based position; `-1` is the last ("der letzte", "the latter"). */
const ORDINAL_FORMS: [number, string[]][] = [
  [
    0,
    [
      'erste',
      'ersten',
      'erster',
      'erstes',
      'erstem',
      'first',
      '1st',
      'former',
      'earliest',
      'früheste',
      'frühesten',
    ],
  ],
  [
    1,
    [
      'zweite',
      'zweiten',
      'zweiter',
      'zweites',
      'zweitem',
      'second',
      '2nd',
      'mittlere',
      'mittleren',
      'middle',
    ],
  ],
  [2, ['dritte', 'dritten', 'dritter', 'drittes', 'drittem', 'third', '3rd']],
  [3, ['vierte', 'vierten', 'vierter', 'viertes', 'fourth', '4th']],
  [4, ['fünfte', 'fünften', 'fünfter', 'fifth', '5th']],
  [-1, ['letzte', 'letzten', 'letzter', 'letztes', 'last', 'latter', 'latest', 'späteste', 'spätesten']],
];

export const NUMBER_WORDS: Record<string, number> = {
  eins: 1,
  one: 1,
  zwei: 2,
  zwo: 2,
  two: 2,
  drei: 3,
  three: 3,
  vier: 4,
  four: 4,
  fünf: 5,
  five: 5,
  sechs: 6,
  six: 6,
  sieben: 7,
  seven: 7,
  acht: 8,
  eight: 8,
  neun: 9,
  nine: 9,
  zehn: 10,
  ten: 10,
  elf: 11,
  eleven: 11,
  zwölf: 12,
  twelve: 12,
};

/** Edit distance with adjacent transpositions ("Thrusday"), stopping early past `max`. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(
        rows[i - 1]![j]! + 1,
        cur[j - 1]! + 1,
        rows[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, rows[i - 2]![j - 2]! + 1);
      cur.push(v);
    }
    if (Math.min(...cur) > max) return max + 1;
    rows.push(cur);
  }
  return rows[a.length]![b.length]!;
}

/** Real words one edit away from a listed form ("Montage" is assembly, "ernsten" serious). */
const NOT_TYPOS = new Set([
  'easter',
  'morgens',
  'frühestens',
  'spätestens',
  'letztens',
  'erstens',
  'zweitens',
  'drittens',
  'seconds',
  'lastly',
  'firstly',
  'montage',
  'montagen',
  'ernsten',
  'ernste',
  'ernster',
  'ernstes',
  'ersetzen',
  'sonntage',
  'zweifel',
  'secondo',
]);

function lookUp<T>(token: string, table: [T, string[]][], minForm = 6): T | undefined {
  for (const [value, forms] of table) if (forms.includes(token)) return value;
  if (token.length < 6 || NOT_TYPOS.has(token)) return undefined;
  for (const [value, forms] of table) {
    if (
      forms.some(
        (f) => Math.max(f.length, token.length) >= minForm && f.length >= 6 && distance(token, f, 1) <= 1,
      )
    )
      return value;
  }
  return undefined;
}

/** ISO weekday of a token ("Mittwoch", "wed", "Mitwoch"), or undefined. `marked`: followed by "." or ",". */
export function weekdayOf(token: string, marked = false): number | undefined {
  if (token === 'so' && !marked) return undefined;
  if (SHORT_ONLY_MARKED.has(token) && !marked) return undefined;
  return lookUp(token, WEEKDAY_FORMS);
}

/** 0-based position of an ordinal word (-1 = the last), or undefined. */
export function ordinalOf(token: string): number | undefined {
  // Ordinals only against forms of seven letters: "easter" is one edit from "erster".
  return lookUp(token, ORDINAL_FORMS, 7);
}

export interface Token {
  text: string;
  index: number;
  end: number;
}

/** Word tokens (letters, digits, ".:" inside numbers kept) with their positions. */
export function tokens(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(/[\p{L}\d]+(?:[.:][\d]+)*/gu))
    out.push({ text: m[0], index: m.index, end: m.index + m[0].length });
  return out;
}

/** A clock time: minutes after midnight, and whether am/pm or "Uhr" made it unambiguous. */
export interface ClockTime {
  minute: number;
  /** The hour could also be 12 h later (a bare "um 3", "at 4"). */
  bare: boolean;
  index: number;
  end: number;
}

const HOUR_WORD = Object.keys(NUMBER_WORDS).join('|');
/** "10", "10:30", "10.30", "10 uhr", "10h", "3pm", "3 p.m.", "halb 11", "viertel nach 10", "zehn uhr". */
const CLOCK = new RegExp(
  String.raw`\b(?:(halb|viertel nach|viertel vor|dreiviertel|quarter past|quarter to|half past)\s+)?` +
    String.raw`(\d{1,2}|${HOUR_WORD})(?:([:.])(\d{2}))?(?:\s*(uhr|h|am|a\.m\.|pm|p\.m\.|o'clock|oclock)(?![\p{L}]))?` +
    String.raw`(?:\s*(\d{2})(?=\s|$|[,.!?]))?`,
  'gu',
);

/**
 * Clock times in a text. A number counts as a time only with a unit, minutes, a clock word before it
 * ("um", "at", "ab", "gegen") or a half/quarter: a bare "2" is an ordinal's business, not a time.
 */
export function clockTimes(text: string): ClockTime[] {
  const out: ClockTime[] = [];
  for (const m of text.matchAll(CLOCK)) {
    const [, fraction, hourText, sep, minuteText, suffixRaw, uhrMinutes] = m;
    const before = text.slice(Math.max(0, m.index - 12), m.index);
    const cue =
      /\b(um|at|ab|gegen|by|bis|until|till|vor|nach|before|after|from|von|zwischen|between|und|and|to|or|oder|around|circa|ca\.?|so um)\s*$/.test(
        before,
      );
    let suffix = (suffixRaw ?? '').replace(/\./g, '');
    // German "um 3 am Freitag": "am" is the preposition before a day, not a.m.
    if (suffix === 'am' && /^\s+(\d|[\p{L}]{2,}\b)/u.test(text.slice(m.index + m[0].length))) {
      const next = /^\s+([\p{L}\d]+)/u.exec(text.slice(m.index + m[0].length))?.[1] ?? '';
      if (
        weekdayOf(next) !== undefined ||
        /^\d|^(nächsten|naechsten|kommenden|selben|gleichen|morgen|vormittag|nachmittag|besten|liebsten|ehesten)/.test(
          next,
        )
      )
        suffix = '';
    }
    if (!fraction && !minuteText && !suffix && !cue) continue;
    // "am 2." / "am 12.12." is a date: German "am" is a preposition, not a.m.
    if (sep === '.' && /^\s*\./.test(text.slice(m.index + m[0].length))) continue;
    let hour = NUMBER_WORDS[hourText!] ?? Number(hourText);
    let minute = minuteText ? Number(minuteText) : suffix === 'uhr' && uhrMinutes ? Number(uhrMinutes) : 0;
    if (sep === '.' && !suffix && minuteText && Number(minuteText) > 59) continue;
    if (fraction === 'halb') {
      hour -= 1;
      minute = 30;
    } else if (fraction === 'viertel nach' || fraction === 'quarter past') minute = 15;
    else if (fraction === 'viertel vor' || fraction === 'dreiviertel' || fraction === 'quarter to') {
      hour -= 1;
      minute = 45;
    } else if (fraction === 'half past') minute = 30;
    if (suffix === 'pm' && hour < 12) hour += 12;
    if (suffix === 'am' && hour === 12) hour = 0;
    if (hour < 0 || hour > 24 || minute > 59) continue;
    const bare = !suffix.startsWith('a') && !suffix.startsWith('p') && hour >= 1 && hour <= 7;
    out.push({ minute: hour * 60 + minute, bare, index: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** The minutes a clock time may mean: a bare "3" is 15:00 in business hours, "9" stays 09:00. */
export function clockReadings(t: ClockTime): number[] {
  return t.bare ? [t.minute + 12 * 60, t.minute] : [t.minute];
}

/** Parts of the day, by their canonical spelling (typos like "vormitags", "nachmitag", "afternon"). */
const PART_FORMS: [string, string[]][] = [
  ['vormittags', ['vormittags', 'vormittag']],
  ['nachmittags', ['nachmittags', 'nachmittag']],
  ['morning', ['morning', 'mornings']],
  ['afternoon', ['afternoon', 'afternoons']],
  ['evening', ['evening', 'evenings']],
];

const CANONICAL_WEEKDAY = [
  '',
  'montag',
  'dienstag',
  'mittwoch',
  'donnerstag',
  'freitag',
  'samstag',
  'sonntag',
];

/**
 * The text with misspelt weekdays and ordinals replaced by their canonical form ("Mitwoch" →
 * "mittwoch", "zweiten" stays), so the readers' patterns see one spelling. Positions change only
 * where a word was corrected.
 */
export function canonicalise(text: string): string {
  return text.replace(/[\p{L}]{6,}/gu, (word) => {
    for (const [, forms] of WEEKDAY_FORMS) if (forms.includes(word)) return word;
    const day = lookUp(word, WEEKDAY_FORMS);
    if (day !== undefined) return `${CANONICAL_WEEKDAY[day]}${word.endsWith('s') ? 's' : ''}`;
    for (const [, forms] of ORDINAL_FORMS) if (forms.includes(word)) return word;
    const ordinal = lookUp(word, ORDINAL_FORMS, 7);
    const part = lookUp(word, PART_FORMS);
    if (part !== undefined && !PART_FORMS.some(([, f]) => f.includes(word))) return part;
    if (ordinal !== undefined) return ORDINAL_FORMS.find(([v]) => v === ordinal)![1][0]!;
    return word;
  });
}

/** Weekday words as one alternation (canonical spellings), for patterns over canonicalised text. */
export const WEEKDAY_PATTERN = `(${WEEKDAY_FORMS.flatMap(([, f]) => f.filter((w) => w.length > 3)).join('|')})`;
export const weekdayNumber = (word: string) => lookUp(word, WEEKDAY_FORMS);
