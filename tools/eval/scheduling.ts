import { DateTime } from 'luxon';
import {
  generatedNotes,
  HANDWRITTEN_NOTES,
  type NoteCase,
  type NoteWant,
} from '../../test/scheduling/corpus/notes.ts';
import {
  generatedReplies,
  HANDWRITTEN_REPLIES,
  OFFERS,
  type ReplyCase,
} from '../../test/scheduling/corpus/replies.ts';
import { answerOffer, answerReply, OfferQuestion, ReplyQuestion } from '../../src/scheduling/checks.ts';

/**
 * `npm run eval:scheduling`: the note and reply corpus through the same code as `draftbridge
 * scheduling offer|reply`. Prints booking precision (must be 100 %: never a wrong slot), recall of
 * clear picks (≥ 95 %) and the share of offers whose every slot satisfies the note's wishes; exits 1
 * when a target fails. `--json` prints one JSON object on the last line; `--verbose` every miss.
 */
const ZONE = 'Europe/Berlin';
const NOW = '2026-12-07T09:00:00+01:00';
const verbose = process.argv.includes('--verbose');
const BUSY = [
  { start: '2026-12-08T09:00:00+01:00', end: '2026-12-08T11:00:00+01:00' },
  { start: '2026-12-09T13:00:00+01:00', end: '2026-12-09T15:00:00+01:00' },
  { start: '2026-12-15T08:00:00+01:00', end: '2026-12-15T12:00:00+01:00' },
];

function slotMeets(slot: { start: string; end: string }, want: NoteWant): string | null {
  const s = DateTime.fromISO(slot.start, { zone: ZONE });
  const e = DateTime.fromISO(slot.end, { zone: ZONE });
  const sm = s.hour * 60 + s.minute;
  const em = e.hour * 60 + e.minute || 1440;
  const date = s.toISODate()!;
  if (want.days && !want.days.includes(s.weekday)) return `weekday ${s.weekday}`;
  if (want.notDays?.includes(s.weekday)) return `excluded weekday ${s.weekday}`;
  if (want.after !== undefined && sm < want.after) return `starts ${s.toFormat('HH:mm')}`;
  if (want.before !== undefined && em > want.before) return `ends ${e.toFormat('HH:mm')}`;
  if (want.from && date < want.from) return `on ${date}, before ${want.from}`;
  if (want.until && date > want.until) return `on ${date}, after ${want.until}`;
  if (want.notWindows?.some(([d, f, t]) => d === s.weekday && sm < t && em > f))
    return `in an excluded window (${s.toFormat('ccc HH:mm')})`;
  if (want.oneOf && !want.oneOf.some(([d, f, t]) => d === s.weekday && sm >= f && em <= t))
    return `outside the alternatives (${s.toFormat('ccc HH:mm')})`;
  return null;
}

function evalNotes(cases: NoteCase[]) {
  let satisfied = 0;
  const misses: string[] = [];
  for (const [i, [note, lang, want]] of cases.entries()) {
    const q = OfferQuestion.parse({
      id: i,
      note,
      lang,
      now: NOW,
      zone: ZONE,
      workingHours: { days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' },
      busy: BUSY,
      count: 3,
      durationMinutes: 30,
    });
    const { slots, wishes } = answerOffer(q);
    let problem: string | null = null;
    if (want.none) problem = slots.length ? `offered ${slots.length} slots, expected none` : null;
    else if (slots.length === 0) problem = `nothing offered (${wishes.unmet})`;
    else for (const slot of slots) problem ??= slotMeets(slot, want);
    if (problem) misses.push(`note ${JSON.stringify(note)}: ${problem}`);
    else satisfied++;
  }
  return { notes: cases.length, satisfied, share: satisfied / cases.length, misses };
}

function evalReplies(cases: ReplyCase[]) {
  let bookings = 0;
  let wrongBookings = 0;
  let clearPicks = 0;
  let picksFound = 0;
  let kindsRight = 0;
  const misses: string[] = [];
  const byKind: Record<string, number> = {};
  for (const [i, [text, lang, offer, kind, value]] of cases.entries()) {
    const offered = OFFERS[offer].map(([s, e]) => ({
      start: DateTime.fromISO(s, { zone: ZONE }).toISO()!,
      end: DateTime.fromISO(e, { zone: ZONE }).toISO()!,
    }));
    const a = answerReply(ReplyQuestion.parse({ id: i, text, lang, now: NOW, zone: ZONE, offered }));
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    const counterAt = a.counter
      ? DateTime.fromISO(a.counter.start, { zone: ZONE }).toFormat("yyyy-MM-dd'T'HH:mm")
      : null;
    const booksSlot =
      a.kind === 'pick'
        ? `slot ${a.choice}`
        : a.kind === 'counter' && counterAt
          ? `counter ${counterAt}`
          : null;
    const expected =
      kind === 'pick'
        ? `slot ${value}`
        : kind === 'counter' && typeof value === 'string'
          ? `counter ${value}`
          : null;
    if (booksSlot) {
      bookings++;
      if (booksSlot !== expected) {
        wrongBookings++;
        misses.push(`WRONG BOOKING ${JSON.stringify(text)}: ${booksSlot}, expected ${kind} ${value ?? ''}`);
      }
    }
    if (kind === 'pick') {
      clearPicks++;
      if (a.kind === 'pick' && a.choice === value) picksFound++;
    }
    const right =
      a.kind === kind &&
      (kind !== 'pick' || a.choice === value) &&
      (kind !== 'counter' || (value ?? null) === counterAt);
    if (right) kindsRight++;
    else if (!booksSlot || booksSlot === expected)
      misses.push(
        `reply ${JSON.stringify(text)}: ${a.kind}${a.choice !== null ? ` ${a.choice}` : ''}${counterAt ? ` ${counterAt}` : ''}, expected ${kind} ${value ?? ''}`,
      );
  }
  return {
    replies: cases.length,
    bookings,
    wrongBookings,
    precision: bookings ? (bookings - wrongBookings) / bookings : 1,
    clearPicks,
    recall: clearPicks ? picksFound / clearPicks : 1,
    kindAccuracy: kindsRight / cases.length,
    byKind,
    misses,
  };
}

const notes = evalNotes([...HANDWRITTEN_NOTES, ...generatedNotes()]);
const replies = evalReplies([...HANDWRITTEN_REPLIES, ...generatedReplies()]);
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
if (verbose) for (const m of [...notes.misses, ...replies.misses]) console.log(`  ${m}`);
console.log(
  `notes:   ${notes.notes} (≥ 300), offers whose every slot satisfies the wishes: ${notes.satisfied} = ${pct(notes.share)}`,
);
console.log(`replies: ${replies.replies} (≥ 300) by expected kind ${JSON.stringify(replies.byKind)}`);
console.log(
  `booking precision: ${pct(replies.precision)} (${replies.bookings - replies.wrongBookings}/${replies.bookings}, target 100 %)`,
);
console.log(`recall of clear picks: ${pct(replies.recall)} (of ${replies.clearPicks}, target ≥ 95 %)`);
console.log(`reply kind accuracy: ${pct(replies.kindAccuracy)}`);
const failed = [
  notes.notes < 300 && 'fewer than 300 notes',
  replies.replies < 300 && 'fewer than 300 replies',
  replies.precision < 1 && 'a wrong booking',
  replies.recall < 0.95 && 'recall below 95 %',
].filter(Boolean);
if (process.argv.includes('--json')) {
  console.log(
    JSON.stringify({
      notes: notes.notes,
      wish_satisfaction: notes.share,
      replies: replies.replies,
      booking_precision: replies.precision,
      pick_recall: replies.recall,
      kind_accuracy: replies.kindAccuracy,
      bookings: replies.bookings,
      wrong_bookings: replies.wrongBookings,
      failed,
    }),
  );
}
if (failed.length) {
  console.log(`✗ ${failed.join(', ')}`);
  process.exitCode = 1;
} else console.log('✓ targets met');
