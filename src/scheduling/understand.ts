import type { LlmPort, ReceivedReply } from '../ports.ts';
import { crossCheckWithLlm } from './llm-engine.ts';
import { readReply, type ReplyAnswer } from './reply.ts';
import type { Slot } from './slots.ts';

/**
 * One understanding of a reply, two engines: the rules always, and the LLM engine when the LLM port
 * can answer with a schema (a configured route). The pipeline and the CLIs run this same function.
 */
import type { UnderstandContext } from './llm-engine.ts';

export type { UnderstandContext };

export async function understandReply(
  deps: { llm?: LlmPort | undefined },
  reply: Pick<ReceivedReply, 'text' | 'subject'>,
  offered: readonly Slot[],
  ctx: UnderstandContext,
): Promise<ReplyAnswer> {
  const context = { timeZone: ctx.timeZone, now: ctx.now, subject: reply.subject };
  const rules = readReply(reply.text, offered, context);
  if (!deps.llm?.extract) return rules;
  return crossCheckWithLlm(deps.llm, reply.text, offered, ctx, rules);
}
