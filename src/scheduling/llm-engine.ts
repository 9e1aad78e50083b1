import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Language } from '../policy.ts';
import type { LlmPort, LlmRouteName } from '../ports.ts';
import { createLeakGuard } from '../privacy/leak-guard.ts';
import { Pseudonymiser } from '../privacy/pseudonymise.ts';
import { renderSlot } from './render.ts';
import type { ReplyAnswer } from './reply.ts';
import { MAX_WISH_HORIZON_DAYS, type Slot } from './slots.ts';

/** What reading a reply needs besides its text: the contact's zone, today, language, request. */
export interface UnderstandContext {
  timeZone: string;
  now: Date;
  language: Language;
  requestId: string;
  /** The LLM route asked (default `eu`; `local` where only a local model is configured). */
  route?: LlmRouteName;
}

/**
 * The LLM engine: the pseudonymised reply, the offered slots as numbered fixed strings and today's
 * date in the contact's zone go out; a JSON-schema answer comes back and is checked in code (a chosen
 * number must be an offered slot, a counter date must lie in the future horizon). The rules' answer
 * is then compared: where either would book and they differ, nothing is booked ("engines_disagree").
 */
export const LlmReplyAnswer = z.object({
  kind: z.enum(['pick', 'counter', 'call_me', 'decline', 'unclear', 'auto_reply']),
  /** 1-based number of the offered slot picked, or null. */
  choice: z.number().int().nullable(),
  /** A proposed other time: date yyyy-MM-dd and time HH:mm in the contact's zone, or null. */
  counter_date: z.string().nullable(),
  counter_time: z.string().nullable(),
});
export type LlmReplyAnswer = z.infer<typeof LlmReplyAnswer>;

const SYSTEM = [
  'You read a short e-mail reply to an offer of appointment times and classify it.',
  'kind: "pick" when it clearly chooses exactly one of the numbered offered times; "counter" when it proposes another',
  'time instead; "call_me" when it asks to be phoned instead; "decline" when it declines or none fits without an',
  'alternative; "auto_reply" for automatic out-of-office replies; "unclear" otherwise (also when hesitant or ambiguous).',
  'choice: the number of the chosen offered time (pick only), else null. counter_date/counter_time: the proposed date',
  '(yyyy-MM-dd) and time (HH:mm, 24 h) relative to today (counter only), else null. Placeholders like [[PERSON_1]] are',
  'names removed for privacy. Answer with the JSON object only.',
].join(' ');

/** The LLM's answer as a ReplyAnswer, or null when it fails the checks (then it counts as unclear). */
export function validateLlmAnswer(
  a: LlmReplyAnswer,
  offered: readonly Slot[],
  ctx: Pick<UnderstandContext, 'timeZone' | 'now'>,
): ReplyAnswer | null {
  const none = { choice: null, counter: null };
  if (a.kind === 'pick') {
    if (a.choice === null || a.choice < 1 || a.choice > offered.length) return null;
    return { kind: 'pick', choice: a.choice - 1, counter: null };
  }
  if (a.kind === 'counter') {
    if (!a.counter_date || !a.counter_time) return { kind: 'counter', ...none };
    const start = DateTime.fromISO(`${a.counter_date}T${a.counter_time}`, { zone: ctx.timeZone });
    const today = DateTime.fromJSDate(ctx.now, { zone: ctx.timeZone });
    if (!start.isValid || start < today || start > today.plus({ days: MAX_WISH_HORIZON_DAYS })) return null;
    const duration = offered.length
      ? Date.parse(offered[0]!.end) - Date.parse(offered[0]!.start)
      : 30 * 60_000;
    const iso = (d: DateTime) => d.toUTC().toISO({ suppressMilliseconds: true })!;
    return {
      kind: 'counter',
      choice: null,
      counter: { start: iso(start), end: iso(start.plus({ milliseconds: duration })) },
    };
  }
  return { kind: a.kind, ...none };
}

/** Whether the two answers would do the same thing (book the same slot, or neither books). */
function agree(rules: ReplyAnswer, llm: ReplyAnswer): boolean {
  const books = (a: ReplyAnswer) => a.kind === 'pick' || (a.kind === 'counter' && a.counter !== null);
  if (!books(rules) && !books(llm)) return true;
  if (rules.kind !== llm.kind) return false;
  return rules.kind === 'pick' ? rules.choice === llm.choice : rules.counter?.start === llm.counter?.start;
}

export async function crossCheckWithLlm(
  llm: LlmPort,
  text: string,
  offered: readonly Slot[],
  ctx: UnderstandContext,
  rules: ReplyAnswer,
): Promise<ReplyAnswer> {
  if (!llm.extract || rules.kind === 'auto_reply') return rules;
  const pseudonymised = new Pseudonymiser({}, { lang: ctx.language }).pseudonymise(text.slice(0, 4000));
  const today = DateTime.fromJSDate(ctx.now, { zone: ctx.timeZone });
  const user = [
    `Today: ${today.toFormat('cccc, yyyy-MM-dd', { locale: 'en' })} (time zone ${ctx.timeZone}); now ${today.toISO({ suppressMilliseconds: true })}.`,
    'Offered times:',
    ...offered.map((s, i) => `${i + 1}. ${renderSlot(s, ctx.language, ctx.timeZone)} [${s.start}/${s.end}]`),
    'Reply:',
    pseudonymised,
  ].join('\n');
  let answer: LlmReplyAnswer;
  try {
    answer = await llm.extract({
      route: ctx.route ?? 'eu',
      system: SYSTEM,
      user,
      requestId: ctx.requestId,
      guard: createLeakGuard([]),
      schema: LlmReplyAnswer,
      schemaName: 'reply_answer',
    });
  } catch {
    // The LLM is the second opinion: without it the rules (the fallback engine) decide alone.
    return rules;
  }
  const checked = validateLlmAnswer(answer, offered, ctx) ?? {
    kind: 'unclear' as const,
    choice: null,
    counter: null,
  };
  if (agree(rules, checked)) return rules;
  return { kind: 'unclear', choice: null, counter: null, reason: 'engines_disagree' };
}
