import { errorMessage } from '../errors.ts';
import type { Policy } from '../policy.ts';
import type { LlmPort, LlmRouteName } from '../ports.ts';
import { loadSettings } from '../settings.ts';
import type { ReplyQuestion } from '../scheduling/checks.ts';
import { crossCheckWithLlm } from '../scheduling/llm-engine.ts';
import type { ReplyAnswer } from '../scheduling/reply.ts';

/**
 * A second reader of replies (the LLM engine, when an LLM route is configured). The rules' answer is
 * cross-checked: where the two disagree on a booking, nothing is booked and a person decides.
 */
export interface ReplyEngine {
  crossCheck(question: ReplyQuestion, rules: ReplyAnswer): Promise<ReplyAnswer>;
}

export function llmReplyEngine(llm: LlmPort, route: LlmRouteName = 'eu'): ReplyEngine {
  return {
    crossCheck: (q, rules) => {
      const iso = (t: string) => new Date(t).toISOString();
      const offered = q.offered.map((s) => ({ start: iso(s.start), end: iso(s.end) }));
      const context = {
        timeZone: q.zone,
        now: new Date(q.now),
        language: q.lang,
        requestId: `cli-${String(q.id)}`,
        route,
      };
      return crossCheckWithLlm(llm, q.text, offered, context, rules);
    },
  };
}

/**
 * The LLM engine for the CLIs when the environment configures the `eu` route (Azure OpenAI) or a
 * local model; otherwise undefined (rules only). The sandbox's simulated model is never used here.
 */
export async function replyEngineFrom(
  env: NodeJS.ProcessEnv,
  policy: Policy,
  warn: (line: string) => void = () => undefined,
): Promise<ReplyEngine | undefined> {
  const configured = [
    'AZURE_OPENAI_ENDPOINT',
    'LOCAL_LLM_BASE_URL',
    'BEDROCK_MODEL_ID',
    'VERTEX_MODEL',
    'OPENAI_API_KEY',
    'MISTRAL_API_KEY',
  ].some((k) => env[k]);
  if (env.DRAFTBRIDGE_SANDBOX === '1' || !configured) return undefined;
  try {
    const settings = loadSettings({ ...env, DRAFTBRIDGE_SANDBOX: '1' });
    const { DraftingLlm } = await import('../../connectors/llm/connector.ts');
    const route =
      env.LOCAL_LLM_BASE_URL &&
      !env.AZURE_OPENAI_ENDPOINT &&
      !env.BEDROCK_MODEL_ID &&
      !env.VERTEX_MODEL &&
      !env.OPENAI_API_KEY &&
      !env.MISTRAL_API_KEY
        ? 'local'
        : 'eu';
    return llmReplyEngine(await DraftingLlm.fromSettings(settings, policy), route);
  } catch (err) {
    warn(`draftbridge: LLM route not usable (${errorMessage(err)}); rules only`);
    return undefined;
  }
}
