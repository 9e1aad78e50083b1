import OpenAI from 'openai';
import { ChatCompletionsClient } from '../azure/connector.ts';

/**
 * OpenAI with European data residency: the plain `OpenAI` client at the EU host
 * (https://eu.api.openai.com/v1), with the key of a project created with EU residency and its id in
 * the `OpenAI-Project` header. The global host is refused here as well as by `config check`: an EU
 * project's data must not go through it.
 */
export const OPENAI_EU_BASE_URL = 'https://eu.api.openai.com/v1';

export interface OpenAiEuOptions {
  apiKey: string;
  model: string;
  baseURL?: string;
  project?: string;
}

export function openAiEuClient(options: OpenAiEuOptions, timeoutMs: number): ChatCompletionsClient {
  const baseURL = options.baseURL ?? OPENAI_EU_BASE_URL;
  const host = new URL(baseURL).hostname.toLowerCase();
  if (host !== 'eu.api.openai.com' && /(^|\.)openai\.com$/.test(host)) {
    throw new Error(`OPENAI_BASE_URL: ${host} is not OpenAI's EU host (${OPENAI_EU_BASE_URL})`);
  }
  // At the EU host itself the SDK's own residency switch picks it; another URL is a proxy or a simulator.
  const endpoint = baseURL === OPENAI_EU_BASE_URL ? { dataResidency: 'eu' as const } : { baseURL };
  // maxRetries 0: DraftingLlm retries and books each retry in the shared quota.
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...endpoint,
    ...(options.project ? { project: options.project } : {}),
    maxRetries: 0,
    timeout: timeoutMs,
  });
  return new ChatCompletionsClient('openai', client, options.model, 'eu');
}
