import { MONTHS, MONTH_PATTERN, clockTimes, tokens, weekdayOf, type ClockTime } from './lexicon.ts';

/**
 * Points in time a reply names ("Mittwoch um 10", "am 2.12.", "the 11:30 one", "Friday afternoon",
 * "morgen früh"), grouped into mentions: the parts that stand together in the text (a weekday, a
 * date, a clock time, a part of the day) until a conjunction or a second part of the same kind
 * starts the next one. Each mention later matches offered slots or becomes a counter-proposal.
 */
export interface Mention {
  weekday?: number;
  date?: { day: number; month?: number };
  /** Days from today ("morgen" = 1). */
  relativeDay?: number;
  clock?: ClockTime;
  /** Minutes of the day a part of the day covers ("vormittags" = [0, 720)). */
  part?: [number, number];
  /** "nächste Woche", "next week": the weekday lies in a later week. */
  weeksAhead?: number;
  index: number;
  end: number;
}

type Part = {
  kind: 'weekday' | 'date' | 'relative' | 'clock' | 'part' | 'week';
  index: number;
  end: number;
  apply: (m: Mention) => void;
};

const PARTS_OF_DAY: [RegExp, [number, number]][] = [
  [/\b(vormittags?|morgens|früh(?![a-zäöüß])|frueh\b|in the morning|mornings?)/g, [0, 720]],
  [/\b(mittags|gegen mittag|lunchtime|around noon|midday)\b/g, [690, 840]],
  [/\b(nachmittags?|afternoons?)/g, [720, 1440]],
  [/\b(abends|evenings?|am abend)\b/g, [1020, 1440]],
];

function dateParts(text: string): Part[] {
  const parts: Part[] = [];
  const add = (index: number, end: number, day: number, month?: number) => {
    if (day < 1 || day > 31 || (month !== undefined && (month < 1 || month > 12))) return;
    parts.push({
      kind: 'date',
      index,
      end,
      apply: (m) => (m.date = month === undefined ? { day } : { day, month }),
    });
  };
  // 2.12. / 02.12.2026 / 2.12 (with "am"/"den"/"on" before it)
  for (const m of text.matchAll(
    /\b(\d{1,2})\.(\d{1,2})\.(\d{2,4})?|\b(am|den|on|vom)\s+(\d{1,2})\.(\d{1,2})\b(?!\s*uhr)\.?/g,
  )) {
    const day = Number(m[1] ?? m[5]);
    const month = Number(m[2] ?? m[6]);
    const start = m[5] ? m.index + m[0].indexOf(m[5]) : m.index;
    add(start, m.index + m[0].length, day, month);
  }
  // 2. Dezember / 2 December / 2nd of December / December 2(nd)
  const month = MONTH_PATTERN;
  for (const m of text.matchAll(
    new RegExp(
      String.raw`\b(\d{1,2})(?:\.|st|nd|rd|th)?\s+(?:of\s+)?${month}|\b${month}\s+(\d{1,2})(?:st|nd|rd|th)?\b`,
      'g',
    ),
  )) {
    add(m.index, m.index + m[0].length, Number(m[1] ?? m[4]), MONTHS[(m[2] ?? m[3])!]);
  }
  // the 2nd / am 2. (a day of month alone)
  for (const m of text.matchAll(
    /\b(?:the\s+)?(\d{1,2})(st|nd|rd|th)\b(?!\s+(?:one|option|slot|choice))|\b(?:am|den)\s+(\d{1,2})\.(?!\d)(?!\s*(?:termin|option|vorschlag))/g,
  )) {
    if (parts.some((p) => p.index <= m.index && p.end >= m.index + m[0].length - 1)) continue;
    add(m.index, m.index + m[0].length, Number(m[1] ?? m[3]));
  }
  return parts;
}

function otherParts(text: string): Part[] {
  const parts: Part[] = [];
  for (const t of tokens(text)) {
    // "Do. 11:30", "Mi, 14 Uhr", "Do passt": a two-letter day only with a mark or a verb or time after it.
    const marked = /^([.,]|\s+(passt|geht|klappt|ginge|wäre|ist|um|ab|\d))/.test(
      text.slice(t.end, t.end + 8),
    );
    const weekday = weekdayOf(t.text, marked);
    if (weekday !== undefined)
      parts.push({ kind: 'weekday', index: t.index, end: t.end, apply: (m) => (m.weekday = weekday) });
  }
  // "Dienstagnachmittag", "Freitagvormittag": a weekday and a part of the day in one word.
  for (const m of text.matchAll(
    /\b(montag|dienstag|mittwoch|donnerstag|freitag)(vormittag|nachmittag|morgen|mittag|abend)s?\b/g,
  )) {
    const day = weekdayOf(m[1]!)!;
    const range: [number, number] = /nach/.test(m[2]!)
      ? [720, 1440]
      : /abend/.test(m[2]!)
        ? [1020, 1440]
        : /^mittag/.test(m[2]!)
          ? [690, 840]
          : [0, 720];
    parts.push({
      kind: 'weekday',
      index: m.index,
      end: m.index + m[1]!.length,
      apply: (x) => (x.weekday = day),
    });
    parts.push({
      kind: 'part',
      index: m.index + m[1]!.length,
      end: m.index + m[0].length,
      apply: (x) => (x.part = range),
    });
  }
  for (const m of text.matchAll(
    /(?<![a-zäöüß])(heute|today|übermorgen|uebermorgen|day after tomorrow|morgen|tomorrow)\b/g,
  )) {
    if (/\b(guten|am|jeden|every|after)\s*$/.test(text.slice(0, m.index))) continue;
    const days = /heute|today/.test(m[1]!) ? 0 : /über|ueber|after/.test(m[1]!) ? 2 : 1;
    parts.push({
      kind: 'relative',
      index: m.index,
      end: m.index + m[0].length,
      apply: (x) => (x.relativeDay = days),
    });
  }
  for (const m of text.matchAll(
    /(?<![a-zäöüß])(übernächste[nr]?|week after next|nächste[nr]?|naechste[nr]?|kommende[nr]?|next)\s+(woche|week)\b/g,
  )) {
    const ahead = /über|after/.test(m[1]!) ? 2 : 1;
    parts.push({
      kind: 'week',
      index: m.index,
      end: m.index + m[0].length,
      apply: (x) => (x.weeksAhead = ahead),
    });
  }
  for (const [pattern, range] of PARTS_OF_DAY) {
    for (const m of text.matchAll(pattern))
      parts.push({
        kind: 'part',
        index: m.index,
        end: m.index + m[0].length,
        apply: (x) => (x.part = range),
      });
  }
  return parts;
}

/** Words that start a new mention: "Dienstag oder Mittwoch", "not Tuesday but Wednesday". */
const SPLIT =
  /\b(oder|or|und|and|sondern|but|aber|statt|instead|rather|lieber|alternativ|alternatively|nicht|not)\b|[;!?\n]|\.\s+[\p{L}]{3,}|\s-\s/u;
/** What may stand between the parts of one mention ("Mittwoch, 9. Dezember, um 14 Uhr"). */
const FILLER =
  /\b(say|let's say|sagen wir|etwa|so|um|at|am|on|the|den|dem|der|die|von|ab|gegen|so|ca|circa|around|from|zum|zur|in|im|of|passt|geht|ginge|wäre|works|would|be|is|mir|me|for|es|bei|ok|gut|fine|gerne?)\b|[,.:\s]/g;

export function readMentions(text: string): Mention[] {
  const clocks: Part[] = clockTimes(text)
    .filter((c) => !/^\s*\./.test(text.slice(c.end)) || /uhr|h$/.test(text.slice(c.index, c.end)))
    .map((c) => ({ kind: 'clock', index: c.index, end: c.end, apply: (m: Mention) => (m.clock = c) }));
  const dates = dateParts(text);
  // A clock time inside a date ("2.12") is the date's.
  const parts = [
    ...dates,
    ...otherParts(text),
    ...clocks.filter((c) => !dates.some((d) => c.index < d.end && c.end > d.index)),
  ].sort((a, b) => a.index - b.index);
  const mentions: Mention[] = [];
  let current: Mention | undefined;
  let kinds = new Set<string>();
  for (const p of parts) {
    const gap = current ? text.slice(current.end, p.index) : '';
    const split = !current || kinds.has(p.kind) || SPLIT.test(gap) || gap.replace(FILLER, '').length > 2;
    if (split) {
      current = { index: p.index, end: p.end };
      kinds = new Set();
      mentions.push(current);
    }
    p.apply(current!);
    kinds.add(p.kind);
    current!.end = Math.max(current!.end, p.end);
  }
  return mentions;
}
