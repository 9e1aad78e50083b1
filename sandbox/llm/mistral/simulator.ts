import { startChatSimulator, type ChatSimulator } from '../chat/simulator.ts';
import type { DeploymentQuota } from '../simulator.ts';

/**
 * Mistral's API (the stand-in for https://api.mistral.ai): `/v1/chat/completions` with a bearer key,
 * Mistral's error bodies, 429 `rate_limited` without Retry-After, 422 for fields it does not know
 * (sandbox/llm/chat/). MISTRAL_BASE_URL is `url`.
 */
export type MistralSimulator = ChatSimulator;

export function startMistralSimulator(
  options: { apiKey?: string; models?: string[]; quota?: DeploymentQuota } = {},
): Promise<MistralSimulator> {
  return startChatSimulator('mistral', options);
}
