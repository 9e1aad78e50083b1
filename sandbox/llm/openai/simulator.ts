import { startChatSimulator, type ChatSimulator } from '../chat/simulator.ts';
import type { DeploymentQuota } from '../simulator.ts';

/**
 * OpenAI's EU API (the stand-in for https://eu.api.openai.com/v1): chat completions with a project
 * key and the OpenAI-Project header, OpenAI's error bodies and rate-limit headers (sandbox/llm/chat/).
 * OPENAI_BASE_URL is `${url}/v1`.
 */
export type OpenAiSimulator = ChatSimulator;

export function startOpenAiSimulator(
  options: { apiKey?: string; project?: string; models?: string[]; quota?: DeploymentQuota } = {},
): Promise<OpenAiSimulator> {
  return startChatSimulator('openai', options);
}
