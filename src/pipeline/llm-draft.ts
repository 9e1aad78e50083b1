import { DraftbridgeError, ERROR_CODES, UpstreamRejected } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Language } from '../policy.ts';
import type { LlmPort, LlmRouteName } from '../ports.ts';
import { restoreDraft } from '../privacy/reidentify.ts';
import type { LlmPrompt } from './draft-plan.ts';
import type { LlmCircuit } from './llm-circuit.ts';
import { draftWithLeakFallback, type DraftPath } from './stages/leak-fallback.ts';

/**
 * The LLM half of the draft stage: the circuit breaker, the call, one stricter retry after an
 * unusable answer, and the local re-identification. It never decides the request's state; it says
 * what came out, and the stage acts on that. Throws only what the stage runner should handle
 * (rate limits pause the queue; outages before the last attempt are retried with backoff).
 */
export type LlmDraftResult =
  /** `path`: with the note, or without it after the leak guard refused the note. */
  | { kind: 'drafted'; subject: string; body: string; path: 'llm' | 'llm_without_note' }
  /** The plain template drafts instead; `reason` is recorded (llm_circuit_open, llm_truncated, leak_guard, ...). */
  | { kind: 'template'; reason: string; path: DraftPath };

export interface LlmDraftDeps {
  llm: LlmPort;
  circuit: Pick<LlmCircuit, 'isOpen' | 'recordFailure' | 'recordSuccess'>;
  logger: Logger;
}

export interface LlmDraftContext {
  requestId: string;
  route: LlmRouteName;
  language: Language;
  allowedLinks: string[];
  /** On the job's last attempt an outage drafts from the template instead of failing the job. */
  lastAttempt: boolean;
}

/**
 * The rep is never left empty-handed by the leak guard: a refused request is asked again once with
 * the free-text note left out (structured fields only); a second refusal drafts from the template.
 */
export async function draftWithLlm(
  deps: LlmDraftDeps,
  prompt: LlmPrompt,
  context: LlmDraftContext,
): Promise<LlmDraftResult> {
  const { circuit, logger } = deps;
  const { requestId, route } = context;
  if (await circuit.isOpen(route)) return { kind: 'template', reason: 'llm_circuit_open', path: 'llm' };
  const ask = async (user: string) => {
    const asked = { ...prompt, user };
    let result = await askOnce(deps.llm, asked, context, false);
    if (!result.ok && result.reason !== 'content_filtered') {
      logger.info(
        { requestId, reason: result.reason },
        'LLM draft unusable; retrying once with a stricter instruction',
      );
      result = await askOnce(deps.llm, asked, context, true);
    }
    return result;
  };
  try {
    const outcome = await draftWithLeakFallback(
      () => ask(prompt.user),
      prompt.userWithoutNote !== undefined ? () => ask(prompt.userWithoutNote!) : undefined,
    );
    if (outcome.path === 'template') {
      logger.warn(
        { requestId, types: [...new Set(outcome.findings)].join(',') },
        'leak guard refused the LLM request with and without the note; drafting from the template',
      );
      return { kind: 'template', reason: 'leak_guard', path: 'template' };
    }
    if (outcome.path === 'llm_without_note')
      logger.warn({ requestId }, 'leak guard refused the note; drafted from the structured fields only');
    const result = outcome.value;
    await circuit.recordSuccess(route);
    return result.ok
      ? { kind: 'drafted', subject: result.subject, body: result.body, path: outcome.path }
      : { kind: 'template', reason: `llm_${result.reason}`, path: 'template' };
  } catch (err) {
    if (err instanceof UpstreamRejected)
      return { kind: 'template', reason: `llm_rejected_${err.status}`, path: 'template' };
    // Rate limits: the stage runner pauses the queue, nothing here counts against the circuit.
    if (err instanceof DraftbridgeError && err.retryable && err.code !== ERROR_CODES.UPSTREAM_RATE_LIMITED) {
      // An outage (5xx, timeout, connection): counts against the circuit, retried with backoff.
      await circuit.recordFailure(route);
      if (!context.lastAttempt) throw err;
      return { kind: 'template', reason: 'llm_unavailable', path: 'template' };
    }
    throw err; // a rate limit, or not an outage at all (a bug): the stage runner decides from its code
  }
}

type Answer = { ok: true; subject: string; body: string } | { ok: false; reason: string };

/** One call and its local restore; `strict` adds the stricter instruction for the retry. */
export async function askOnce(
  llm: LlmPort,
  prompt: LlmPrompt,
  context: LlmDraftContext,
  strict: boolean,
): Promise<Answer> {
  const system = strict ? `${prompt.system}\n${prompt.strictInstruction}` : prompt.system;
  const outcome = await llm.draft({
    route: context.route,
    system,
    user: prompt.user,
    language: context.language,
    requestId: context.requestId,
    guard: prompt.guard,
  });
  if (outcome.kind !== 'drafted') return { ok: false, reason: outcome.kind };
  const restored = restoreDraft({
    subject: outcome.draft.subject,
    body: outcome.draft.body,
    mapping: prompt.mapping,
    required: prompt.required,
    allowedLinks: context.allowedLinks,
  });
  if (!restored.ok) return { ok: false, reason: restored.reason };
  // The offered slots must come back exactly as computed: a changed date or time is a wrong offer.
  if (prompt.verbatim.some((text) => !restored.body.includes(text)))
    return { ok: false, reason: 'slots_altered' };
  return { ok: true, subject: restored.subject, body: restored.body };
}
