import { DateTime } from 'luxon';
import { z } from 'zod';
import { canonicalise, clockReadings, normalise, NUMBER_WORDS, ordinalOf, tokens } from './lexicon.ts';
import { readMentions, type Mention } from './mentions.ts';
import { Slot } from './slots.ts';

/**
 * What a contact's answer to an offer says, read locally by rules: a pick of one offered slot, a
 * counter-proposal, a request to be called, a decline, an automatic reply, or unclear. Only an
 * unambiguous naming of exactly one offered slot is a pick: several, a hedge ("vielleicht"), a
 * reference that contradicts another, or a time not offered never is; nothing is booked on a guess.
 * The quoted original (with every offered slot in it) is cut off first.
 */
export const ReplyKind = z.enum(['pick', 'counter', 'call_me', 'decline', 'unclear', 'auto_reply']);
export type ReplyKind = z.infer<typeof ReplyKind>;

export const ReplyAnswer = z.object({
  kind: ReplyKind,
  /** 0-based index of the offered slot picked (kind pick only). */
  choice: z.number().int().min(0).nullable(),
  /** The time proposed instead (kind counter; null when it names no full day and time). */
  counter: Slot.nullable(),
  /** Why it is not a pick, for the audit and the rep: a code. */
  reason: z.string().optional(),
});
export type ReplyAnswer = z.infer<typeof ReplyAnswer>;

export interface ReplyContext {
  /** The contact's IANA zone: the offered slots are read on their wall clock. */
  timeZone: string;
  now: Date;
  subject?: string | undefined;
}

/** Where the quoted original starts: "> …", "Am … schrieb …:", "On … wrote:", Outlook's header block. */
const QUOTE_START =
  /^(>|_{5,}|-{2,}\s*(original|ursprüngliche|forwarded|weitergeleitet)|am .+ schrieb|on .+ wrote|von:|from:|gesendet:|sent:|de :|envoyé)/im;
const SIGNATURE =
  /^(--\s*$|gesendet von|sent from my|von meinem (iphone|ipad|smartphone) gesendet|get outlook for)/im;

export const AUTO_REPLY_TEXT = new RegExp(
  [
    String.raw`\b(automatische antwort|automatic reply|auto[- ]?reply|autoreply|out of (the )?office|abwesenheitsnotiz|abwesenheitsnachricht)\b`,
    String.raw`\b(dies ist eine automatische|this is an automated|this is an automatic)\b`,
    String.raw`\bich bin\b[^!?\n]{0,40}?\b(bis|vom|ab dem|zurzeit|derzeit|zur zeit)\b[^!?\n]{0,40}?\b(nicht im büro|abwesend|im urlaub|nicht erreichbar|außer haus|nicht im haus)`,
    String.raw`\bich bin (derzeit |zurzeit |zur zeit )?(nicht im büro|abwesend|im urlaub|nicht erreichbar|außer haus)\b[^!?\n]{0,40}?\b(bis|ab dem|wieder|zurück)\b`,
    String.raw`\b(ihre (e-?mail|nachricht) wird (nicht )?weitergeleitet|your (e-?mail|message) will (not )?be forwarded)`,
    String.raw`\bi am (currently )?(out of the office|away|on (annual |parental )?leave|on vacation)\b`,
    String.raw`\b(limited|no) access to (my )?e-?mails?\b`,
  ].join('|'),
);
const CALL_ME =
  /\b((a |quick |short )?(phone )?call would be|lieber ein (kurzes )?telefonat|per telefon|phone call|ruf(e|en)?\s+(sie\s+)?(mich|uns)\b[^.!?\n]{0,40}?\ban\b|rufen sie (mich )?(einfach |bitte |doch |gern |gerne )*an\b|anrufen\b|telefonisch|call me|give me a (call|ring)|phone me|ring me|call (me )?back|by phone|over the phone|rückruf|zurückrufen|ring me)/;
const DECLINE =
  /\b(kein(e|en)? (interesse|bedarf)|aus dem verteiler|abmelden|austragen|brauchen (wir|ich) (das |es |den termin )?(nicht|keine?n?)|(wir|ich) brauchen (das |es |den termin )?(nicht|keine?n?)|(für )?einen anderen anbieter|anderweitig (entschieden|vergeben)|dagegen entschieden|went with (another|a different)|decided (against|to go with)|other (provider|vendor|supplier)|nicht (mehr )?interessiert|not interested|no longer (interested|needed|relevant)|hat sich erledigt|no need|nicht mehr nötig|brauchen (wir|ich) nicht|keine (weiteren )?(e-?mails|kontakt)|unsubscribe|remove me|nein,? danke|no,? thanks?|kein(er|e)? (de[rs]|dieser) (termine?|vorschläge|zeiten|optionen) (passt|passen|geht|gehen|klappt)|keiner (passt|geht|klappt)|none of (these|them|those|the \w+)( \w+)? (work|suit|fit|are)|none (work|suit|fit)s?|neither (works|suits|of)|passt (mir )?(alles|beides) nicht|passen (mir )?(alle|leider alle) nicht|(geht|gehen|klappt) (leider )?(alles|beides|keiner|keine) nicht|can't make (any|it)|cannot make any|won't be able|keine zeit|doesn't suit|leider (passt|geht|klappt) (keiner|keine|das) )/;
const HEDGE =
  /\b(falls|sofern|only if|provided that|unless|es sei denn|double[- ]check|could work|might work|may work|könnte (gehen|passen|klappen)|ginge eventuell|wenn nichts dazwischen|vielleicht|eventuell|evtl|möglicherweise|womöglich|maybe|perhaps|possibly|not sure|nicht sicher|unsicher|muss (ich )?(noch )?(prüfen|schauen|checken|klären|nachsehen)|need to check|have to check|let me check|i'?ll (check|confirm|let you know)|melde mich (noch|nochmal|wieder)|get back to you|tentative|vorläufig|unter vorbehalt|probably|wahrscheinlich|either|egal welch|beide|both)\b/;
const NONE_FITS =
  /\b(keiner|keine|none|neither|nichts davon|passt (mir )?(leider )?nicht|geht (leider )?nicht|doesn'?t work|don'?t work|won'?t work|does not work|do not work|can'?t|cannot|kann (ich )?(leider )?nicht|klappt (leider )?nicht)\b/;
const NEGATION_BEFORE =
  /\b(nicht|not|kein|keine|keinen|no|statt|instead of|rather than|anstatt|anstelle|außer|ausser|except|can'?t|cannot|won'?t|neither|nor|weder)\b[^.,;!?\n]{0,25}$/;
const NEGATION_AFTER =
  /^[^.,;!?\n]{0,30}?\b(bin|sind|habe|hab|ist|is|am|i'?m)\s+(ich |wir |er |sie )?(leider |schon |bereits |already )*(nicht da|nicht im büro|im urlaub|weg|unterwegs|verhindert|belegt|vergeben|ausgebucht|keine zeit|busy|booked|taken|away|unavailable|out)\b|^\s*(\S+\s+){0,2}?(keine zeit|nicht da|im urlaub|verhindert|schon belegt|ausgebucht)\b|^[^.,;!?\n]{0,30}?\b(passt|passen|geht|gehen|klappt|klappen|kann|können|schaffe|schaffen|works?|suits?|is|are|would be|wäre|ist)\s+(ich |wir )?(mir |uns |leider |für mich |for me |bei mir )*(nicht|not|schlecht|bad|out|no good|difficult|schwierig|ungünstig|knapp)\b|^[^.,;!?\n]{0,20}?\b(doesn'?t|don'?t|won'?t|can'?t|cannot|does not|do not|will not) (work|suit|fit|make|do)\b|^\s*(nicht|leider nicht|no)\b/;
const PROPOSAL =
  /\b(ginge|geht auch|ginge auch|wie wäre|wie waere|wäre auch|passt auch|könnten wir|koennten wir|können wir|alternativ|stattdessen|lieber|besser|how about|what about|would .{0,20}work|could we|can we|instead|rather|i'?m free|ich kann|hätte ich|hätten sie|is .{0,12}possible|möglich|free on|zeit am|zeit (hätte|habe) ich)\b/;

/** English ordinals that are also adverbs ("send the brochure first", "just a second", "at last"). */
const ADVERB_PRONE = new Set([
  'first',
  'second',
  'third',
  'last',
  'latter',
  'former',
  'latest',
  'earliest',
  'middle',
]);
const ORDINAL_BEFORE =
  /(^|\b(the|my|your|take|taking|with|for|pick|choose|prefer|option|slot|go for|is|nehme|den|die|der))\s*$/;
const ORDINAL_AFTER =
  /^\s*(one|option|slot|time|suggestion|proposal|choice|date|appointment|meeting|works|work|is|please|pls|plz|fits|suits|sounds|would|termin|vorschlag|passt|bitte)\b/;

/** An adverb-prone ordinal counts after a determiner or verb, or before a noun or an approval. */
function ordinalInContext(text: string, index: number, end: number): boolean {
  const before = text.slice(Math.max(0, index - 16), index);
  if (/\b(at|a|just|come|came|send|sent|do|check|ask|talk|call|need|first)\s*$/.test(before)) return false;
  return (
    ORDINAL_BEFORE.test(before.trim() === '' && index <= 2 ? '' : before) ||
    ORDINAL_AFTER.test(text.slice(end, end + 16))
  );
}

/** Words that mark an ordinal as something else ("wie beim letzten Mal", "first of all", "last week"). */
const NOT_A_SLOT =
  /^\s*(mal|male|time|times|woche|week|monat|month|jahr|year|e-?mail|mail|nachricht|message|gespräch|of all|thing|quartal|quarter|satz|seite|page)\b/;

const stripQuote = (reply: string) => {
  const quote = QUOTE_START.exec(reply);
  let text = quote ? reply.slice(0, quote.index) : reply;
  const signature = SIGNATURE.exec(text);
  if (signature) text = text.slice(0, signature.index);
  return text;
};

interface Reference {
  slots: Set<number>;
  negated: boolean;
  /** A mention that can be a counter-proposal (it names no offered slot). */
  mention?: Mention;
  ordinal: boolean;
  at: number;
}

/** "erst an Dienstag gedacht, aber lieber Mittwoch", "Tuesday – or rather Thursday": the later one wins. */
const CORRECTION =
  /\b(aber lieber|doch lieber|lieber doch|doch eher|or rather|rather|actually|eigentlich doch|korrektur|correction|stattdessen|instead)\b/g;

function supersede(text: string, refs: Reference[]): void {
  const last = [...text.matchAll(CORRECTION)].at(-1);
  if (!last) return;
  const after = refs.filter((r) => !r.negated && r.at > last.index);
  if (after.length === 0) return;
  for (const r of refs) if (r.at < last.index) r.negated = true;
}

/** Words after which a negation no longer reaches ("nicht den ersten, sondern den zweiten"). */
const CLAUSE_BREAK = /.*(\b(sondern|but|aber|instead|stattdessen|lieber|rather|jedoch|however)\b|\s-\s)/s;

function polarity(text: string, index: number, end: number): boolean {
  const before = text.slice(Math.max(0, index - 40), index).replace(CLAUSE_BREAK, ' ');
  const after = text
    .slice(end, end + 60)
    .split(/\b(?:sondern|but|aber|instead|stattdessen|jedoch|however)\b|\s-\s/)[0]!;
  return NEGATION_BEFORE.test(before) || NEGATION_AFTER.test(after);
}

/** "Option 2", "Nummer zwei", "Variante B", "#2", "der zweite", "the latter", a bare "2". */
function ordinalReferences(
  text: string,
  count: number,
  taken: readonly { index: number; end: number }[],
): { index: number; at: number; end: number }[] {
  const out: { index: number; at: number; end: number }[] = [];
  // "der 2. Termin", "den 3. Vorschlag": a numeral with a dot before the noun.
  for (const m of text.matchAll(
    /\b([1-9])\.\s*(termin|terminvorschlag|vorschlag|option|variante|zeitfenster|slot)/g,
  )) {
    out.push({ index: Number(m[1]) - 1, at: m.index, end: m.index + m[0].length });
  }
  const label =
    /\b(option|optionen|nummer|nr|no|number|termin|terminvorschlag|vorschlag|variante|punkt|slot|choice|alternative|zeitfenster|möglichkeit|zeit)\s*\.?\s*(?:(?:nummer|nr|no|number)\s*\.?\s*)?(\d|[a-e]\b|[\p{L}]+)|#\s*(\d)/gu;
  for (const m of text.matchAll(label)) {
    const word = m[2] ?? m[3]!;
    const n = /^\d$/.test(word)
      ? Number(word)
      : /^[a-e]$/.test(word) && !/^(termin|zeit|no)$/.test(m[1] ?? '')
        ? word.charCodeAt(0) - 96
        : NUMBER_WORDS[word];
    if (n === undefined) continue;
    if (/^\s*([:.]\d|uhr|h\b|(am|pm)\b(?!\s+[a-zäöüß]))/.test(text.slice(m.index + m[0].length))) continue;
    out.push({ index: n - 1, at: m.index, end: m.index + m[0].length });
  }
  for (const t of tokens(text)) {
    const position = ordinalOf(t.text);
    if (position === undefined || NOT_A_SLOT.test(text.slice(t.end))) continue;
    if (ADVERB_PRONE.has(t.text) && !ordinalInContext(text, t.index, t.end)) continue;
    if (
      /\b(als|zum|at|the very)\s*$/.test(text.slice(Math.max(0, t.index - 8), t.index)) &&
      /erste|first/.test(t.text)
    )
      continue;
    out.push({ index: position < 0 ? count + position : position, at: t.index, end: t.end });
  }
  for (const m of text.matchAll(
    /\b(?:die|the|nehme|take)\s+(eins|zwei|drei|vier|two|three|four)\b(?!\s*(uhr|o'?clock|pm|am|h\b|of\b))/g,
  )) {
    out.push({ index: NUMBER_WORDS[m[1]!]! - 1, at: m.index, end: m.index + m[0].length });
  }
  // A bare number: "2", "2.", "die 2 bitte", "I'll take 2", "2 passt".
  const bare =
    /(?:^|[\s,:;(])(?:(?:die|der|den|the|nehme|nehmen|take|choose|wähle|pick|go with|go for)\s+)?([1-9])\s*(?:[.)!]|(?=\s+(?:passt|bitte|please|works|is fine|ist gut|geht|wäre|would|sounds|klingt|nehme|thanks|danke)\b)|(?=\s*$))/g;
  for (const m of text.matchAll(bare)) {
    const at = m.index + m[0].indexOf(m[1]!);
    if (
      /\b(um|at|ab|gegen|bis|von|vor|nach|in|on|am|den|kw|woche|week|seite|page|für|for|mit|with)\s*$/.test(
        text.slice(Math.max(0, at - 8), at),
      )
    )
      continue;
    if (/^\d?\s*[.:]\s*\d/.test(text.slice(at + 1))) continue;
    // Inside a date or time ("Dec 9 works") it is not an ordinal; nor is a number past the offer.
    if (
      /^\.\s*\p{L}/u.test(text.slice(at + 1)) &&
      !/^\.\s*(passt|bitte|geht|danke|thanks|please|works)\b/.test(text.slice(at + 1))
    )
      continue;
    if (
      out.some((o) => at >= o.at && at < o.end) ||
      taken.some((t) => at >= t.index && at < t.end) ||
      Number(m[1]) > count
    )
      continue;
    out.push({ index: Number(m[1]) - 1, at, end: at + 1 });
  }
  return out;
}

function slotsMatching(m: Mention, offered: DateTime[], today: DateTime): Set<number> {
  const hits = new Set<number>();
  offered.forEach((t, i) => {
    if (m.weekday !== undefined && t.weekday !== m.weekday) return;
    if (m.date && (t.day !== m.date.day || (m.date.month !== undefined && t.month !== m.date.month))) return;
    if (m.relativeDay !== undefined && !t.hasSame(today.plus({ days: m.relativeDay }), 'day')) return;
    if (m.clock && !clockReadings(m.clock).includes(t.hour * 60 + t.minute)) return;
    if (m.part && (t.hour * 60 + t.minute < m.part[0] || t.hour * 60 + t.minute >= m.part[1])) return;
    hits.add(i);
  });
  return hits;
}

/** A mention that names a day and a time, as a slot from `now` on (the next such day). */
function counterSlot(m: Mention, today: DateTime, duration: number, offered: DateTime[]): Slot | null {
  let day: DateTime | undefined;
  if (m.date) {
    day = today.set({ month: m.date.month ?? today.month, day: m.date.day });
    if (!day.isValid) return null;
    if (day < today) day = m.date.month === undefined ? day.plus({ months: 1 }) : day.plus({ years: 1 });
    if (m.weekday !== undefined && day.weekday !== m.weekday) return null;
  } else if (m.relativeDay !== undefined) day = today.plus({ days: m.relativeDay });
  else if (m.weekday !== undefined) {
    const base = m.weeksAhead ? today.startOf('week').plus({ weeks: m.weeksAhead }) : today.plus({ days: 1 });
    day = base.plus({ days: (m.weekday - base.weekday + 7) % 7 });
  } else if (offered.length > 0 && offered.every((o) => o.hasSame(offered[0]!, 'day')))
    day = offered[0]!.startOf('day');
  if (!day || !m.clock) return null;
  const readings = clockReadings(m.clock).filter((minute) => minute >= 7 * 60 && minute <= 20 * 60);
  const minute = readings[0] ?? m.clock.minute;
  const start = day.startOf('day').set({ hour: Math.floor(minute / 60), minute: minute % 60 });
  if (start <= today.plus({ minutes: 1 }) && !start.hasSame(today, 'day')) return null;
  const iso = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;
  return { start: iso(start), end: iso(start.plus({ minutes: duration })) };
}

const answer = (kind: ReplyKind, reason?: string, extra: Partial<ReplyAnswer> = {}): ReplyAnswer => ({
  kind,
  choice: null,
  counter: null,
  ...(reason ? { reason } : {}),
  ...extra,
});

export function readReply(reply: string, offered: readonly Slot[], context: ReplyContext): ReplyAnswer {
  const body = stripQuote(reply);
  // "Tuesday's no good": the contraction read as "is".
  const text = canonicalise(normalise(body)).replace(/([a-z])'s (no|not|bad|out)\b/g, '$1 is $2');
  if (AUTO_REPLY_TEXT.test(normalise(context.subject ?? '')) || AUTO_REPLY_TEXT.test(text))
    return answer('auto_reply', 'auto_reply');
  const zone = context.timeZone;
  const now = DateTime.fromJSDate(context.now, { zone });
  const slots = offered.map((s) => DateTime.fromISO(s.start, { zone }));
  const duration = offered.length
    ? Math.max(15, Math.round((Date.parse(offered[0]!.end) - Date.parse(offered[0]!.start)) / 60_000))
    : 30;

  const refs: Reference[] = [];
  const mentions = readMentions(text);
  for (const o of ordinalReferences(text, offered.length, mentions)) {
    refs.push({
      slots: new Set(o.index >= 0 && o.index < offered.length ? [o.index] : []),
      negated: polarity(text, o.at, o.end),
      ordinal: true,
      at: o.at,
    });
  }
  for (const m of mentions) {
    const specific =
      m.weekday !== undefined ||
      m.date !== undefined ||
      m.relativeDay !== undefined ||
      m.clock !== undefined ||
      m.part !== undefined;
    // "Ihre Mail vom Montag", "since Tuesday": a day in the past, not an answer.
    if (
      !specific ||
      /\b(vom|seit|since|letzten|letzte|last|gestern|yesterday|bis|until|(e-?mail|mail|message|nachricht|call|anruf|letter|schreiben) (on|of|from))\s*$/.test(
        text.slice(Math.max(0, m.index - 16), m.index),
      )
    )
      continue;
    refs.push({
      slots: slotsMatching(m, slots, now),
      negated: polarity(text, m.index, m.end),
      mention: m,
      ordinal: false,
      at: m.index,
    });
  }
  supersede(text, refs);
  const weekOnly = mentions.some(
    (m) => m.weeksAhead !== undefined && m.weekday === undefined && m.date === undefined,
  );
  return decide(text, refs, { now, slots, duration, weekOnly });
}

function decide(
  text: string,
  refs: Reference[],
  ctx: { now: DateTime; slots: DateTime[]; duration: number; weekOnly: boolean },
): ReplyAnswer {
  const positive = refs.filter((r) => !r.negated);
  const excluded = new Set(refs.filter((r) => r.negated).flatMap((r) => [...r.slots]));
  const unmatched = positive.filter((r) => r.slots.size === 0);
  if (positive.length > 0 && unmatched.length === 0) {
    let pool = new Set(ctx.slots.map((_, i) => i).filter((i) => !excluded.has(i)));
    for (const r of positive) pool = new Set([...pool].filter((i) => r.slots.has(i)));
    if (pool.size !== 1) return answer('unclear', pool.size === 0 ? 'contradicting' : 'ambiguous');
    if (HEDGE.test(text)) return answer('unclear', 'hedged');
    if (DECLINE.test(text) && !/\b(außer|ausser|except|but|aber|sondern)\b/.test(text))
      return answer('unclear', 'contradicting');
    return answer('pick', undefined, { choice: [...pool][0]! });
  }
  // A time that was not offered: a counter-proposal when it is the one thing proposed.
  const proposals = unmatched.filter((r) => r.mention && !r.ordinal);
  if (proposals.length > 0 && HEDGE.test(text) && !PROPOSAL.test(text)) return answer('unclear', 'hedged');
  if (proposals.length > 0 && positive.every((r) => !r.ordinal)) {
    const complete = proposals
      .map((r) => counterSlot(r.mention!, ctx.now, ctx.duration, ctx.slots))
      .filter((s): s is NonNullable<typeof s> => s !== null);
    const distinct = new Set(complete.map((s) => s.start));
    if (distinct.size === 1 && proposals.length === complete.length)
      return answer('counter', undefined, { counter: complete[0]! });
    // "Rufen Sie mich morgen zwischen 10 und 12 an": a call in a window, not one time to book.
    if (CALL_ME.test(text)) return answer('call_me', 'call_me');
    if (distinct.size > 1) return answer('counter', 'several_times');
    return answer('counter', 'incomplete_time');
  }
  if (positive.some((r) => r.ordinal && r.slots.size === 0)) return answer('unclear', 'not_offered');
  if (CALL_ME.test(text) && positive.length === 0) return answer('call_me', 'call_me');
  const allExcluded = ctx.slots.length > 0 && excluded.size === ctx.slots.length;
  if (
    DECLINE.test(text) ||
    (NONE_FITS.test(text) && (allExcluded || /\b(keiner|keine|none|neither)\b/.test(text)))
  )
    return answer('decline', 'declined');
  // "Can we do next week instead?": another time, but no day and hour to check.
  if (PROPOSAL.test(text) && ctx.weekOnly && positive.length === 0)
    return answer('counter', 'incomplete_time');
  if (PROPOSAL.test(text) && refs.length === 0 && /\?/.test(text))
    return answer('unclear', 'proposal_without_time');
  return answer('unclear', refs.length ? 'ambiguous' : 'no_slot_named');
}

/** The earlier interface: `chosen` for a pick, else `none` with a reason (kept for callers and tests). */
export type SlotChoice =
  | { kind: 'chosen'; index: number }
  | { kind: 'none'; reason: 'no_slot_named' | 'ambiguous' | 'declined' | 'not_offered' };

export function parseSlotChoice(
  reply: string,
  slots: readonly Slot[],
  timeZone: string,
  now = new Date(Date.parse(slots[0]?.start ?? '') - 86_400_000 || Date.now()),
): SlotChoice {
  const a = readReply(reply, slots, { timeZone, now });
  if (a.kind === 'pick') return { kind: 'chosen', index: a.choice! };
  if (a.kind === 'decline') return { kind: 'none', reason: 'declined' };
  if (a.kind === 'counter' || a.reason === 'not_offered') return { kind: 'none', reason: 'not_offered' };
  return {
    kind: 'none',
    reason: a.reason === 'no_slot_named' || a.kind !== 'unclear' ? 'no_slot_named' : 'ambiguous',
  };
}
