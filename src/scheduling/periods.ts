import Holidays from 'date-holidays';
import type { DateTime } from 'luxon';
import { MONTH_PATTERN, MONTHS, NUMBER_WORDS } from './lexicon.ts';

/**
 * Relative periods in a contact's words, resolved to calendar days in the contact's zone against
 * today: "ab nächstem Monat", "übernächste Woche", "in zwei Wochen", "Anfang/Mitte/Ende Januar",
 * "KW 3", "nach Ostern", "after the holidays", "nicht vor Januar". The result is a day range (either
 * end open); the slot finder keeps to it. Several periods narrow each other (latest start, earliest
 * end).
 */
export interface DayRange {
  /** First acceptable day, yyyy-MM-dd (inclusive). */
  from?: string;
  /** Last acceptable day, yyyy-MM-dd (inclusive). */
  until?: string;
}

const iso = (d: DateTime) => d.toISODate()!;
const COUNT = `(\\d{1,2}|${Object.keys(NUMBER_WORDS).join('|')}|einer|einem|a|an|ein|one)`;
const count = (word: string) =>
  /^(einer|einem|ein|a|an)$/.test(word) ? 1 : (NUMBER_WORDS[word] ?? Number(word));

/** The next month `month` starting today or later (this month counts while it lasts). */
function nextMonth(today: DateTime, month: number): DateTime {
  const start = today.set({ month, day: 1 }).startOf('day');
  return month < today.month ? start.plus({ years: 1 }) : start;
}

/** A named feast's day in the year it next ends after today (Easter Monday, Whit Monday, 26 Dec). */
function feastEnd(today: DateTime, feast: 'easter' | 'pentecost' | 'christmas' | 'new_year'): DateTime {
  const names = {
    easter: 'Easter Monday',
    pentecost: 'Whit Monday',
    christmas: 'Boxing Day',
    new_year: "New Year's Day",
  };
  for (const year of [today.year, today.year + 1]) {
    const day = new Holidays('DE')
      .getHolidays(year, 'en')
      .find((h) => h.name === names[feast])
      ?.date.slice(0, 10);
    if (day && day >= iso(today))
      return today.set({
        year: Number(day.slice(0, 4)),
        month: Number(day.slice(5, 7)),
        day: Number(day.slice(8, 10)),
      });
  }
  return today;
}

type Rule = [RegExp, (m: RegExpExecArray, today: DateTime) => DayRange];
const NOT_BEFORE = String.raw`(?:ab|erst ab|frühestens|fruehestens|nicht vor|from|starting|not before|no earlier than|beginning|ab dem|ab anfang)`;
const PART = String.raw`(anfang|beginn|mitte|ende|start|early|mid|late|end|beginning)`;

const RULES: Rule[] = [
  // "übernächste Woche", "the week after next"
  [/(?<![a-zäöüß])(übernächste[nr]?|uebernaechste[nr]?)\s+woche\b|\bweek after next\b/, (_, t) => week(t, 2)],
  // "Anfang/Ende nächster Woche", "early/late next week", "end of next week"
  [
    /\b(anfang|ende|mitte)\s+(der\s+)?(nächste[nr]?|naechste[nr]?|kommende[nr]?)\s+woche\b|\b(early|late|mid|end of|start of|beginning of)\s+(the\s+)?next week\b/,
    (m, t) => weekPart(week(t, 1), m[1] ?? m[4]!),
  ],
  // "Ende der Woche", "end of this week", "later this week"; "bis Ende der Woche (im Urlaub)": after it.
  [
    /\b(ende|anfang) (der|dieser) woche\b|\b(end of|later) (the|this) week\b/,
    (m, t) =>
      /\b(bis|until|till|through)\s*$/.test(m.input.slice(0, m.index))
        ? { from: week(t, 1).from! }
        : weekPart(week(t, 0), m[1] ?? m[3]!),
  ],
  // "in zwei Wochen", "in 3 weeks", "in a week"
  [
    new RegExp(String.raw`\b(?:in|frühestens in|not for|erst in)\s+${COUNT}\s+(wochen|woche|weeks?)\b`),
    (m, t) => ({ from: iso(t.plus({ weeks: count(m[1]!) })) }),
  ],
  [
    new RegExp(String.raw`\b(?:in|erst in)\s+${COUNT}\s+(tagen|tage|days?)\b`),
    (m, t) => ({ from: iso(t.plus({ days: count(m[1]!) })) }),
  ],
  [
    new RegExp(String.raw`\b(?:in|erst in)\s+${COUNT}\s+(monaten|monat|months?)\b`),
    (m, t) => ({ from: iso(t.plus({ months: count(m[1]!) }).startOf('day')) }),
  ],
  // "ab nächstem Monat", "next month", "im nächsten Monat"
  [
    /\b(nächste[nmr]?|naechste[nmr]?|kommende[nmr]?)\s+monat\b|\bnext month\b/,
    (m, t) => {
      const start = t.plus({ months: 1 }).startOf('month');
      const notBefore = new RegExp(`${NOT_BEFORE}\\s*$`).test(m.input.slice(0, m.index));
      return notBefore ? { from: iso(start) } : { from: iso(start), until: iso(start.endOf('month')) };
    },
  ],
  // "KW 3", "Kalenderwoche 3", "calendar week 3", "week 3", "CW 3"
  [/\b(?:kw|kalenderwoche|calendar week|cw|week)\s*\.?\s*(\d{1,2})\b/, (m, t) => isoWeek(t, Number(m[1]))],
  // "Anfang/Mitte/Ende Januar", "early/mid/late January", "end of January"
  [
    new RegExp(String.raw`\b${PART}[\s-]+(?:of\s+)?${MONTH_PATTERN}`),
    (m, t) => monthPart(nextMonth(t, MONTHS[m[2]!]!), m[1]!),
  ],
  // "Ende des Monats", "end of the month", "Anfang nächsten Monats", "beginning of next month"
  [
    /\b(anfang|mitte|ende|beginning of|start of|middle of|end of|early|mid|late)\s+(des|dieses|this|the)\s+(monats|month)\b/,
    (m, t) => monthPart(t.startOf('month'), m[1]!),
  ],
  [
    /\b(anfang|mitte|ende|beginning of|start of|middle of|end of|early|mid|late)\s+(des\s+)?(nächsten|naechsten|kommenden|next)\s+(monats|month)\b/,
    (m, t) => monthPart(t.plus({ months: 1 }).startOf('month'), m[1]!),
  ],
  // "nicht vor Januar", "ab Februar", "from March", "not before January"
  [
    new RegExp(String.raw`\b${NOT_BEFORE}\s+(?:im\s+|in\s+)?${MONTH_PATTERN}(?!\s*\d)`),
    (m, t) => ({ from: iso(nextMonth(t, MONTHS[m[1]!]!)) }),
  ],
  // "nach Januar", "after January"
  [
    new RegExp(String.raw`\b(?:nach|after)\s+(?:dem\s+)?${MONTH_PATTERN}(?!\s*\d)`),
    (m, t) => ({ from: iso(nextMonth(t, MONTHS[m[1]!]!).plus({ months: 1 })) }),
  ],
  // "im Januar", "in January"
  [
    new RegExp(String.raw`\b(?:im|in|during)\s+${MONTH_PATTERN}(?!\s*\d)`),
    (m, t) => monthPart(nextMonth(t, MONTHS[m[1]!]!), 'all'),
  ],
  // "nach Ostern/Pfingsten/Weihnachten/Neujahr", "after Easter/Christmas/the holidays/New Year"
  [
    /\b(nach|after|ab|from)\s+(den\s+|the\s+)?(ostern|easter|pfingsten|pentecost|whitsun|weihnachten|christmas|xmas|neujahr|new year|dem jahreswechsel|jahreswechsel|feiertagen|holidays|festtagen|den feiertagen|silvester)\b/,
    (m, t) => afterFeast(t, m[3]!),
  ],
  [
    /\b(zwischen (weihnachten|den feiertagen) und (neujahr|silvester)|zwischen den jahren|between christmas and new year'?s?)\b/,
    (_, t) => {
      const christmas = feastEnd(t, 'christmas');
      return { from: iso(christmas.plus({ days: 1 })), until: iso(christmas.set({ day: 31 })) };
    },
  ],
  // "bis Mittwoch keine Zeit", "ab Donnerstag", "after Tuesday": the edge of a period named by a weekday.
  [
    /\b(bis|until|till|ab|from|nach|after)\s+(einschließlich |inkl\.? |nächsten |kommenden |next )?(montag|dienstag|mittwoch|donnerstag|freitag|monday|tuesday|wednesday|thursday|friday)s?\b/,
    (m, t) => {
      const day =
        ['montag', 'dienstag', 'mittwoch', 'donnerstag', 'freitag'].indexOf(m[3]!) + 1 ||
        ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'].indexOf(m[3]!) + 1;
      const next = t.plus({ days: (day - t.weekday + 7) % 7 || 7 });
      const absent =
        /^[^.]{0,30}(keine zeit|nicht|weg|unterwegs|urlaub|abwesend|busy|away|no time|unavailable|out)/.test(
          m.input.slice(m.index + m[0].length),
        );
      if (/^(bis|until|till)$/.test(m[1]!)) return absent ? { from: iso(next.plus({ days: 1 })) } : {};
      return { from: iso(/^(nach|after)$/.test(m[1]!) ? next.plus({ days: 1 }) : next) };
    },
  ],
  // "die Woche vor Weihnachten", "the week before Christmas": the week before the one with 24 December.
  [
    /\b(woche vor weihnachten|week before christmas)\b/,
    (_, t) => {
      const eve = feastEnd(t, 'christmas').set({ day: 24 });
      const start = eve.startOf('week').minus({ weeks: 1 });
      return { from: iso(start < t ? t : start), until: iso(start.plus({ days: 6 })) };
    },
  ],
  // "the week of January 11", "die Woche vom 11. Januar", "in der Woche ab dem 11.1.": that week.
  [
    new RegExp(
      String.raw`\b(?:week of|woche vom|woche ab dem|woche des)\s+(?:(\d{1,2})\.?\s*${MONTH_PATTERN}|${MONTH_PATTERN}\s+(\d{1,2})|(\d{1,2})\.(\d{1,2})\.?)`,
    ),
    (m, t) => {
      const day = Number(m[1] ?? m[4] ?? m[5]);
      const month = m[2] ? MONTHS[m[2]]! : m[3] ? MONTHS[m[3]]! : Number(m[6]);
      let date = t.set({ month, day });
      if (!date.isValid) return {};
      if (date < t.startOf('week')) date = date.plus({ years: 1 });
      const start = date.startOf('week');
      return { from: iso(start < t ? t : start), until: iso(start.plus({ days: 6 })) };
    },
  ],
  [
    /\b(im neuen jahr|ab dem neuen jahr|from the new year|in the new year|nächstes jahr|naechstes jahr|next year|anfang des jahres|anfang nächsten jahres)\b/,
    (_, t) => ({ from: iso(t.plus({ years: 1 }).startOf('year')) }),
  ],
  // "diese Woche", "this week" (only this week)
  [
    /\b(noch )?(diese|dieser) woche\b(?! nicht)|\bthis week\b/,
    (m, t) => (/nicht|not|no\b/.test(m.input.slice(Math.max(0, m.index - 12), m.index)) ? {} : week(t, 0)),
  ],
  // "morgen", "tomorrow", "übermorgen"
  [/(?<![a-zäöüß])(übermorgen|uebermorgen|day after tomorrow)\b/, (_, t) => day(t.plus({ days: 2 }))],
  [
    /\b(morgen|tomorrow)\b/,
    (m, t) =>
      /\b(guten|am|jeden|in der|every|each|after)\s*$/.test(m.input.slice(0, m.index))
        ? {}
        : day(t.plus({ days: 1 })),
  ],
];

const day = (d: DateTime): DayRange => ({ from: iso(d), until: iso(d) });
function week(today: DateTime, ahead: number): DayRange {
  const start = today.startOf('week').plus({ weeks: ahead });
  return { from: iso(start < today ? today : start), until: iso(start.plus({ days: 6 })) };
}
function weekPart(range: DayRange, part: string): DayRange {
  const from = range.from!;
  const monday = range.until!;
  const start = new Date(`${monday}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() - 6);
  const at = (d: number) => new Date(start.getTime() + d * 86_400_000).toISOString().slice(0, 10);
  const max = (a: string, b: string) => (a > b ? a : b);
  if (/anfang|start|early|beginning/.test(part)) return { from, until: at(2) };
  if (/mitte|mid/.test(part)) return { from: max(from, at(1)), until: at(3) };
  return { from: max(from, at(3)), until: at(4) };
}
function monthPart(first: DateTime, part: string): DayRange {
  const last = first.endOf('month');
  if (/anfang|beginn|start|early|beginning/.test(part))
    return { from: iso(first), until: iso(first.set({ day: 10 })) };
  if (/mitte|mid/.test(part))
    return { from: iso(first.set({ day: 11 })), until: iso(first.set({ day: 20 })) };
  if (/ende|late|end/.test(part)) return { from: iso(first.set({ day: 21 })), until: iso(last) };
  return { from: iso(first), until: iso(last) };
}
function isoWeek(today: DateTime, week: number): DayRange {
  if (week < 1 || week > 53) return {};
  let start = today.set({ weekYear: today.weekYear, weekNumber: week, weekday: 1 }).startOf('day');
  if (start.plus({ days: 6 }) < today.startOf('day'))
    start = today.set({ weekYear: today.weekYear + 1, weekNumber: week, weekday: 1 }).startOf('day');
  return { from: iso(start), until: iso(start.plus({ days: 6 })) };
}
function afterFeast(today: DateTime, feast: string): DayRange {
  if (/ostern|easter/.test(feast)) return { from: iso(feastEnd(today, 'easter').plus({ days: 1 })) };
  if (/pfingsten|pentecost|whitsun/.test(feast))
    return { from: iso(feastEnd(today, 'pentecost').plus({ days: 1 })) };
  if (/weihnachten|christmas|xmas/.test(feast))
    return { from: iso(feastEnd(today, 'christmas').plus({ days: 1 })) };
  // New Year, "the holidays" (around the turn of the year), Silvester: from the day after New Year's Day.
  return { from: iso(feastEnd(today, 'new_year').plus({ days: 1 })) };
}

/** Every period the text names, narrowed into one range (later start, earlier end wins). */
export function readPeriods(text: string, today: DateTime): DayRange {
  const range: DayRange = {};
  for (const [pattern, resolve] of RULES) {
    const m = new RegExp(pattern.source, pattern.flags.replace('g', '')).exec(text);
    if (!m) continue;
    const r = resolve(m, today.startOf('day'));
    if (r.from && (!range.from || r.from > range.from)) range.from = r.from;
    if (r.until && (!range.until || r.until < range.until)) range.until = r.until;
  }
  return range;
}
