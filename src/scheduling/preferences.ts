import { DateTime } from 'luxon';
import { z } from 'zod';
import { canonicalise, MONTHS, normalise, WEEKDAY_PATTERN, weekdayNumber, weekdayOf } from './lexicon.ts';
import { readPeriods } from './periods.ts';

/**
 * Scheduling preferences from a contact's free-text note ("am besten vormittags", "not on Fridays",
 * "erst nächste Woche"), parsed locally by a small rule set before anything is pseudonymised: no LLM
 * ever sees the raw note for this. Times are the contact's local wall-clock times; relative dates
 * ("next week", "the 3rd") stay relative here and are resolved against a clock by the slot finder.
 * Anything the rules do not recognise is simply no constraint: a preference never invents one.
 */
export const Weekday = z.number().int().min(1).max(7); // ISO: 1 = Monday … 7 = Sunday

export const NotBefore = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('next_week') }),
  /** A day of month, optionally with a month (1–12); the next such date on or after today. */
  z.object({
    kind: z.literal('date'),
    day: z.number().int().min(1).max(31),
    month: z.number().int().min(1).max(12).optional(),
    /** "after the 3rd", "nach dem 3.": the day itself is excluded. */
    exclusive: z.boolean().optional(),
  }),
]);
export type NotBefore = z.infer<typeof NotBefore>;

/** Part of a week: these weekdays (empty: every day) between two minutes after local midnight. */
export const DayWindow = z.object({
  weekdays: z.array(Weekday),
  fromMinute: z.number().int().min(0).max(1440),
  toMinute: z.number().int().min(0).max(1440),
});
export type DayWindow = z.infer<typeof DayWindow>;

export const SlotPreferences = z.object({
  /** Minutes after local midnight; a slot starts at or after this. */
  earliestMinute: z.number().int().min(0).max(1440).optional(),
  /** Minutes after local midnight; a slot ends at or before this. */
  latestMinute: z.number().int().min(0).max(1440).optional(),
  /** Only these weekdays (empty: any). */
  weekdays: z.array(Weekday),
  /** Never these weekdays. */
  excludedWeekdays: z.array(Weekday),
  notBefore: NotBefore.optional(),
  /** Calendar days (contact's zone, yyyy-MM-dd, inclusive) a relative period names ("KW 3", "Mitte Januar"). */
  from: z.iso.date().optional(),
  until: z.iso.date().optional(),
  /** Weekday-bound times ruled out ("außer montags vormittags": Monday 00:00–12:00 only). */
  exclusions: z.array(DayWindow).optional(),
  /** Weekday-bound alternatives ("Dienstag vormittags oder Donnerstag nachmittags"): a slot fits one. */
  windows: z.array(DayWindow).optional(),
});
export type SlotPreferences = z.infer<typeof SlotPreferences>;

const NOON = 12 * 60;

const WEEKDAY_WORDS: [RegExp, number][] = [
  [/\b(montags?|mondays?|mon)\b/g, 1],
  [/\b(dienstags?|tuesdays?|tue|tues)\b/g, 2],
  [/\b(mittwochs?|wednesdays?|wed)\b/g, 3],
  [/\b(donnerstags?|thursdays?|thu|thurs)\b/g, 4],
  [/\b(freitags?|fridays?|fri)\b/g, 5],
  [/\b(samstags?|sonnabends?|saturdays?|sat)\b/g, 6],
  [/\b(sonntags?|sundays?|sun)\b/g, 7],
];

// Longest names first, so an alternation never stops at a prefix ("sep" of "september").
const MONTH = `(${Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|')})\\.?`;

/** Words right before a weekday that negate it ("nicht am Freitag", "not on Fridays", "außer freitags"). */
const NEGATION_BEFORE =
  /\b(nicht|kein|keine|keinen|außer|ausser|not|no|except|but not|never|nie|any \w+ but|anything but|all but|excluding|ohne)\b(\s+\S+){0,2}\s*$/;
/** Words right after a weekday that negate it ("Freitag geht nicht", "Fridays don't work"). */
const NEGATION_AFTER =
  /^\s*(ist|is)\s+(ihr|sein|mein|der|her|his|my|a|ein)\s+(freier tag|day off|home ?office[- ]tag)\b|^\s*(\S+\s+){0,3}?(geht|gehen|passt|passen|kann|können|klappt|ist|sind|wäre)\s+(\S+\s+){0,3}?(nicht|schlecht|ungünstig|blöd|unmöglich)\b|^\s*(is|are)\s+(\S+\s+)?(bad|out|impossible|not possible|difficult|tricky)\b|^\s*(is|are)\s+(bad|out|impossible|not possible)\b|^\s*(\S+\s+)?(doesn't|don't|won't|does not|do not|will not)\s+work\b|^\s*(is|are)\s+(no good|not good)\b/;

/** "16 Uhr", "16:30", "16.30 Uhr", "4pm", "4:30 pm", "9 am"; bare English hours below 7 are read as pm. */
const TIME = String.raw`(\d{1,2})(?:[:.](\d{2}))?\s*(uhr|h|am|a\.m\.|pm|p\.m\.|o'clock)?`;

function toMinute(
  hour: string,
  minute: string | undefined,
  suffix: string | undefined,
  english: boolean,
): number | undefined {
  let h = Number(hour);
  const m = minute ? Number(minute) : 0;
  const s = (suffix ?? '').replace(/\./g, '');
  if (s === 'pm' && h < 12) h += 12;
  if (s === 'am' && h === 12) h = 0;
  if (!s && english && h >= 1 && h < 7) h += 12; // "after 4" in an English note means the afternoon
  if (h > 24 || m > 59) return undefined;
  return h * 60 + m;
}

export interface WishContext {
  /** Today in the contact's zone: relative periods ("in zwei Wochen") resolve against it. */
  today?: DateTime;
}

export function parsePreferences(
  note: string | null | undefined,
  context: WishContext = {},
): SlotPreferences {
  const prefs: SlotPreferences = { weekdays: [], excludedWeekdays: [] };
  let text = canonicalise(normalise(note ?? ''));
  if (!text.trim()) return prefs;
  const compound = readDayParts(text);
  text = compound.rest;
  if (compound.exclusions.length) prefs.exclusions = compound.exclusions;
  if (compound.windows.length) prefs.windows = compound.windows;
  const period = readPeriods(text, context.today ?? DateTime.utc());
  if (period.from) prefs.from = period.from;
  if (period.until) prefs.until = period.until;
  const earliest: number[] = [];
  const latest: number[] = [];
  readClockBounds(text, prefs, earliest, latest);
  readPartsOfDay(text, earliest, latest);
  if (earliest.length) prefs.earliestMinute = Math.max(...earliest);
  if (latest.length) prefs.latestMinute = Math.min(...latest);
  // Contradicting wishes ("morgens, nach 16 Uhr") are no usable constraint: keep neither.
  if (
    prefs.earliestMinute !== undefined &&
    prefs.latestMinute !== undefined &&
    prefs.latestMinute <= prefs.earliestMinute
  ) {
    delete prefs.earliestMinute;
    delete prefs.latestMinute;
  }
  const { wanted, excluded } = readWeekdays(text);
  prefs.weekdays = [...wanted].sort();
  prefs.excludedWeekdays = [...excluded].sort();
  const notBefore = readNotBefore(text);
  if (notBefore) prefs.notBefore = notBefore;
  return prefs;
}

/** Clock ranges and single bounds ("zwischen 10 und 12 Uhr", "after 4pm"); a negated range is an exclusion. */
function readClockBounds(text: string, prefs: SlotPreferences, earliest: number[], latest: number[]): void {
  const english =
    /\b(the|please|call|after|before|morning|afternoon|week|not|prefer|preferred|any|only)\b/.test(text);

  // Explicit ranges first ("zwischen 10 und 12 Uhr", "between 2 and 4pm", "10–12 Uhr").
  const ranged = new Set<number>();
  for (const m of text.matchAll(
    new RegExp(
      String.raw`(?:\b(?:zwischen|zw\.?|between|von|from|gegen|am besten|ideally|best)\s+|\s)${TIME}\s*(?:und|and|bis|to|-|–)\s*${TIME}`,
      'g',
    ),
  )) {
    // A bare "10-12" is a range only with a clock unit somewhere ("10-12 Uhr", "9-11am").
    if (!/^\s*(zwischen|zw|between|von|from)/.test(m[0]) && !m[3] && !m[6]) continue;
    const negatedRange = /\b(nicht|not|no|keine?n?|außer|ausser|except)\s*$/.test(
      text.slice(Math.max(0, m.index - 10), m.index),
    );
    const endSuffix = m[6];
    const start = toMinute(
      m[1]!,
      m[2],
      m[3] ?? (endSuffix === 'pm' && Number(m[1]) < 12 && Number(m[1]) <= Number(m[4]) ? 'pm' : undefined),
      english,
    );
    const end = toMinute(m[4]!, m[5], endSuffix, english);
    if (start !== undefined && end !== undefined && end > start && negatedRange) {
      (prefs.exclusions ??= []).push({ weekdays: [], fromMinute: start, toMinute: end });
      ranged.add(m.index);
    } else if (start !== undefined && end !== undefined && end > start) {
      earliest.push(start);
      latest.push(end);
      ranged.add(m.index);
    }
  }
  // Single bounds ("nach 16 Uhr", "ab 14 Uhr", "after 4pm", "not before 10", "vor 11 Uhr", "bis 12 Uhr").
  for (const m of text.matchAll(
    new RegExp(
      String.raw`\b(not before|nicht vor|nach|ab|after|from|vor|before|bis|until|till|not after|nicht nach|spätestens|spaetestens|latest by|by|frühestens(?: um| ab)?|fruehestens(?: um)?|no earlier than|no later than)\s+${TIME}(?!\s*\.)`,
      'g',
    ),
  )) {
    const word = m[1]!.replace(/ (um|ab)$/, '');
    const suffix = m[4];
    // A bare number after "ab"/"from"/"by" is a time only with a unit or minutes ("ab 3." is a date).
    // "ab 10" is a time in working hours; "ab 3" is more likely a date or a count.
    if (
      !suffix &&
      !m[3] &&
      /^(ab|from|by|latest by)$/.test(word) &&
      !(Number(m[2]) >= 7 && Number(m[2]) <= 20 && word === 'ab')
    )
      continue;
    if ([...ranged].some((i) => m.index >= i && m.index < i + 40)) continue;
    const minute = toMinute(m[2]!, m[3], suffix, english);
    if (minute === undefined) continue;
    if (/^(not before|nicht vor|nach|ab|after|from|frühestens|fruehestens|no earlier than)$/.test(word))
      earliest.push(minute);
    else latest.push(minute);
  }
}

/** Parts of the day; a negated part means the other one ("nicht vormittags" → afternoon). */
function readPartsOfDay(text: string, earliest: number[], latest: number[]): void {
  const negatedPart = (i: number) =>
    /\b(nicht|kein|keine|keinen|not|no|never)\b(\s+\S+){0,2}\s*$/.test(text.slice(Math.max(0, i - 24), i));
  // Around noon, late afternoon and early slots are narrower than the halves of the day.
  if (
    /\b(gegen mittag|um die mittagszeit|über mittag|around noon|midday|lunchtime|lunch time)\b/.test(text)
  ) {
    earliest.push(11 * 60 + 30);
    latest.push(14 * 60);
  }
  if (/(spätnachmittags?|späten nachmittag|später nachmittag|late afternoons?)/.test(text))
    earliest.push(15 * 60);
  if (
    /\b(frühe[nr]? (termine?|zeiten|slots?)|früh am tag|early in the day|early slots?|early mornings?|frühmorgens)\b|\bearly\b(?! (next|this|in|january|february|march|april|may|june|july|august|september|october|november|december))/.test(
      text,
    )
  )
    latest.push(NOON);
  for (const m of text.matchAll(
    /\b(vormittags?|morgens|früh morgens|in der früh|am morgen|mornings?|before noon|before lunch|vor dem mittag(?:essen)?|vor der mittagspause|vor mittag|vormittag)\b/g,
  )) {
    if (negatedPart(m.index)) earliest.push(NOON);
    else latest.push(NOON);
  }
  for (const m of text.matchAll(
    /\b(nachmittags?|afternoons?|after lunch|nach der mittagspause|nach dem mittag(?:essen)?|(?<!gegen |über )mittags|nach mittag)\b/g,
  )) {
    if (negatedPart(m.index)) latest.push(NOON);
    else earliest.push(/lunch|mittagspause|mittagessen/.test(m[1]!) ? 13 * 60 : NOON);
  }
  for (const m of text.matchAll(
    /\b(abends|am abend|evenings?|late in the day|end of the day|feierabend)\b/g,
  )) {
    if (!negatedPart(m.index)) earliest.push(17 * 60);
  }
}

/** Weekdays, each either wished for or ruled out (single days, weekends, "Di/Do", ranges "Mo-Mi"). */
function readWeekdays(text: string): { wanted: Set<number>; excluded: Set<number> } {
  const wanted = new Set<number>();
  const excluded = new Set<number>();
  for (const [pattern, day] of WEEKDAY_WORDS) {
    for (const m of text.matchAll(pattern)) {
      const before = text.slice(Math.max(0, m.index - 30), m.index);
      // "bis Mittwoch keine Zeit", "ab Donnerstag": a period's edge (periods.ts), not a wished day.
      if (
        /\b(bis|until|till|ab|from|seit|since|vor|before|nach|after)\s+(einschließlich |inkl\.? |nächsten |kommenden |next )?$/.test(
          before,
        )
      )
        continue;
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + 40);
      // "nicht Montag oder Freitag": the negation carries over an "oder"/"or"/"und"/"and" list.
      const listBefore = before.replace(/\b\S+\s+(oder|or|und|and|,)\s*$|,\s*$/, ' ');
      if (NEGATION_BEFORE.test(before) || NEGATION_BEFORE.test(listBefore) || NEGATION_AFTER.test(after))
        excluded.add(day);
      else wanted.add(day);
    }
  }
  // "am Wochenende", "weekends" / "unter der Woche", "weekdays", "werktags" name several days at once.
  for (const m of text.matchAll(
    /\b(wochenende[ns]?|weekends?|samstags? oder sonntags?)\b|\b(unter der woche|werktags|wochentags|weekdays|on a weekday|during the week)\b/g,
  )) {
    const days = m[1] ? [6, 7] : [1, 2, 3, 4, 5];
    const before = text.slice(Math.max(0, m.index - 30), m.index);
    if (NEGATION_BEFORE.test(before)) for (const d of days) excluded.add(d);
    else for (const d of days) wanted.add(d);
  }
  // "Di/Do", "Mo, Mi": two-letter German days where a slash or comma marks them as days.
  for (const m of text.matchAll(
    /(?<![a-zäöüß])(mo|di|mi|do|fr)(?=\s*[/,]\s*(mo|di|mi|do|fr)\b)|(?<=\b(mo|di|mi|do|fr)\s*[/,]\s*)(mo|di|mi|do|fr)\b/g,
  )) {
    const day = weekdayOf((m[1] ?? m[4])!, true);
    if (day !== undefined)
      (NEGATION_BEFORE.test(text.slice(Math.max(0, m.index - 30), m.index)) ? excluded : wanted).add(day);
  }
  // "Mo-Mi", "Montag bis Mittwoch", "Mon–Wed", "Tuesday through Thursday": every day in between.
  const DAY = String.raw`(mo|di|mi|do|fr|mon|tue|tues|wed|thu|thur|thurs|fri|montags?|dienstags?|mittwochs?|donnerstags?|freitags?|mondays?|tuesdays?|wednesdays?|thursdays?|fridays?)\.?`;
  for (const m of text.matchAll(
    new RegExp(String.raw`\b${DAY}\s*(?:-|bis|to|through|thru|till|until)\s*${DAY}(?![a-zäöüß])`, 'g'),
  )) {
    const from = weekdayOf(m[1]!, true);
    const to = weekdayOf(m[2]!, true);
    if (from === undefined || to === undefined || to <= from) continue;
    const negated = NEGATION_BEFORE.test(text.slice(Math.max(0, m.index - 30), m.index));
    for (let d = from; d <= to; d++) (negated ? excluded : wanted).add(d);
  }
  for (const d of excluded) wanted.delete(d);
  return { wanted, excluded };
}

/** Not before a date ("ab dem 3.12.", "not before the 3rd") or next week. */
function readNotBefore(text: string): NotBefore | undefined {
  let notBefore: NotBefore | undefined;
  if (
    /(?<![a-zäöüß])(nächste[nrms]?|naechste[nrms]?|kommende[nrms]?)\s+woche\b|\bnext week\b|\bnicht (mehr )?(in )?diese(r)? woche\b|\bdiese woche nicht\b|\bnot this week\b/.test(
      text,
    )
  ) {
    notBefore = { kind: 'next_week' };
  }
  const dateDe = new RegExp(
    String.raw`\b(nicht vor dem|nicht vor|ab dem|ab|frühestens am|fruehestens am|erst ab dem|erst am|nach dem)\s+(\d{1,2})\.(?:(\d{1,2})\.|\s*${MONTH}|(?!\d))`,
  );
  const dateEn = new RegExp(
    String.raw`\b(not before|from|after|starting|no earlier than|earliest on|earliest)\s+(?:the\s+)?(?:(\d{1,2})(?:st|nd|rd|th)(?:\s+(?:of\s+)?${MONTH})?|(\d{1,2})\s+${MONTH}|${MONTH}\s+(\d{1,2})(?:st|nd|rd|th)?)\b`,
  );
  const de = dateDe.exec(text);
  const en = dateEn.exec(text);
  let date: { after: boolean; day: number; month: number | undefined } | undefined;
  if (de) {
    date = {
      after: de[1] === 'nach dem',
      day: Number(de[2]),
      month: de[3] ? Number(de[3]) : de[4] ? MONTHS[de[4]] : undefined,
    };
  } else if (en) {
    const day = en[2] ?? en[4] ?? en[7];
    const month = en[3] ?? en[5] ?? en[6];
    date = { after: en[1] === 'after', day: Number(day), month: month ? MONTHS[month] : undefined };
  }
  if (
    date &&
    date.day >= 1 &&
    date.day <= 31 &&
    (date.month === undefined || (date.month >= 1 && date.month <= 12))
  ) {
    return {
      kind: 'date',
      day: date.day,
      ...(date.month ? { month: date.month } : {}),
      ...(date.after ? { exclusive: true } : {}),
    };
  }
  return notBefore;
}

const PART_OF_DAY = String.raw`(vormittags?|morgens|früh|frueh|nachmittags?|abends|mornings?|afternoons?|evenings?)`;
const partWindow = (part: string): [number, number] =>
  /nach|after/.test(part) ? [NOON, 1440] : /abend|even/.test(part) ? [17 * 60, 1440] : [0, NOON];
const EXCEPT = String.raw`(?:außer|ausser|except(?:\s+for)?|but not|not on|not|nicht am|nicht|no|keine?n?|never|excluding|ohne|anything but|any \w+ but)`;
const BAD_AFTER = String.raw`(?:\s+(?:geht|gehen|passt|passen|klappt|klappen|sind|ist|is|are|do|does)\s+(?:\S+\s+)?(?:nicht|schlecht|bad|out|not|n't|never|no good))`;

/**
 * Weekday-bound parts of the day, read before the loose words: "außer montags vormittags", "any
 * time except Monday mornings", "Montagvormittag geht nicht" exclude that part of that day only;
 * two or more wished pairs ("Dienstag vormittags oder Donnerstag nachmittags") become alternatives.
 * The spans read here are blanked, so the general rules do not read them a second time.
 */
function readDayParts(text: string): { rest: string; exclusions: DayWindow[]; windows: DayWindow[] } {
  const exclusions: DayWindow[] = [];
  let rest = text;
  const pair = String.raw`(?:am\s+|an\s+|on\s+)?${WEEKDAY_PATTERN}\s*-?\s*${PART_OF_DAY}`;
  const blank = (m: RegExpExecArray | RegExpMatchArray) => {
    rest = rest.slice(0, m.index) + ' '.repeat(m[0].length) + rest.slice(m.index! + m[0].length);
  };
  for (const re of [
    new RegExp(
      String.raw`\b${EXCEPT}\s+(?:(?:termine?|zeit|calls?|meetings?|appointments?|slots?)\s+)?${pair}`,
      'g',
    ),
    new RegExp(String.raw`\b${pair}${BAD_AFTER}`, 'g'),
  ]) {
    for (const m of [...rest.matchAll(re)]) {
      const [from, to] = partWindow(m[2]!);
      exclusions.push({ weekdays: [weekdayNumber(m[1]!)!], fromMinute: from, toMinute: to });
      blank(m);
    }
  }
  const wished = [...rest.matchAll(new RegExp(String.raw`\b${pair}`, 'g'))];
  const windows: DayWindow[] = [];
  const parts = new Set(wished.map((m) => partWindow(m[2]!).join('-')));
  if (wished.length >= 2 && parts.size >= 2) {
    for (const m of wished) {
      const [from, to] = partWindow(m[2]!);
      windows.push({ weekdays: [weekdayNumber(m[1]!)!], fromMinute: from, toMinute: to });
      blank(m);
    }
  }
  return { rest, exclusions, windows };
}
