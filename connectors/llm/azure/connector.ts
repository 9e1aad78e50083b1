import OpenAI, { AzureOpenAI, APIConnectionError, APIError } from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import type { LlmProvider } from '../../../src/policy.ts';
import { EmailDraft } from '../../../src/ports.ts';
import { retryAfterMs } from '../../rate-window.ts';
import {
  kindOfStatus,
  ProviderError,
  type LlmCall,
  type LlmProviderClient,
  type ProviderAnswer,
} from '../provider.ts';

/**
 * Chat completions on the `openai` package: an Azure OpenAI deployment, OpenAI's EU API
 * (connectors/llm/openai/) and any OpenAI-compatible local model (Ollama, vLLM) all go through
 * `chat.completions.parse` with strict json_schema output from the one zod schema.
 */

/** Azure's error body on a content-filter refusal (400, code content_filter, per-category results). */
const AzureErrorBody = z.object({
  code: z.string().optional(),
  innererror: z
    .object({
      content_filter_result: z
        .record(z.string(), z.object({ filtered: z.boolean().optional() }).nullish())
        .optional(),
    })
    .optional(),
});

// Built once: converting the zod schema to JSON Schema on every call is measurable.
const EMAIL_DRAFT_FORMAT = zodResponseFormat(EmailDraft, 'email_draft');

export class ChatCompletionsClient implements LlmProviderClient {
  readonly provider: LlmProvider;
  readonly model: string;
  readonly region: string | null;
  private readonly client: OpenAI;

  constructor(provider: LlmProvider, client: OpenAI, model: string, region: string | null) {
    this.provider = provider;
    this.client = client;
    this.model = model;
    this.region = region;
  }

  async complete(call: LlmCall): Promise<ProviderAnswer> {
    try {
      const completion = await this.client.chat.completions.parse(
        {
          model: this.model,
          messages: [
            { role: 'system', content: call.system },
            { role: 'user', content: call.user },
          ],
          response_format: call.output
            ? (zodResponseFormat(call.output.zod as never, call.output.name) as typeof EMAIL_DRAFT_FORMAT)
            : EMAIL_DRAFT_FORMAT,
          max_completion_tokens: call.maxTokens,
          temperature: call.temperature ?? 0.4,
        },
        { timeout: call.timeoutMs },
      );
      const choice = completion.choices[0];
      if (choice?.message.refusal)
        throw new ProviderError('filtered', 'the model refused', { categories: ['refusal'] });
      const usage = completion.usage
        ? {
            promptTokens: completion.usage.prompt_tokens,
            completionTokens: completion.usage.completion_tokens,
          }
        : undefined;
      return { output: choice?.message.parsed ?? null, usage, model: completion.model };
    } catch (err) {
      throw providerErrorOf(err);
    }
  }
}

/** The SDK's errors in the provider-neutral kinds DraftingLlm acts on. */
function providerErrorOf(err: unknown): unknown {
  if (err instanceof ProviderError) return err;
  if (err instanceof LengthFinishReasonError)
    return new ProviderError('truncated', 'answer hit the token limit');
  if (err instanceof ContentFilterFinishReasonError) return new ProviderError('filtered', 'answer filtered');
  // Includes timeouts (APIConnectionTimeoutError).
  if (err instanceof APIConnectionError) return new ProviderError('transient', err.message, { cause: err });
  if (err instanceof APIError) {
    const status = err.status ?? 0;
    const body = AzureErrorBody.safeParse(err.error);
    if (
      status === 400 &&
      (err.code === 'content_filter' || (body.success && body.data.code === 'content_filter'))
    ) {
      const results = (body.success ? body.data.innererror?.content_filter_result : undefined) ?? {};
      return new ProviderError('filtered', 'prompt filtered', {
        status,
        categories: Object.entries(results)
          .filter(([, r]) => r?.filtered)
          .map(([k]) => k),
      });
    }
    const wait = status === 429 ? retryAfterMs(Object.fromEntries(err.headers?.entries() ?? []), -1) : -1;
    return new ProviderError(kindOfStatus(status), `failed with ${status}`, {
      status,
      ...(wait >= 0 ? { retryAfterMs: wait } : {}),
      cause: err,
    });
  }
  // Malformed JSON bodies and schema violations surface as plain errors from the SDK's parser.
  return new ProviderError('unusable', err instanceof Error ? err.message.slice(0, 80) : 'unusable answer', {
    cause: err,
  });
}

export interface AzureDeployment {
  endpoint: string;
  apiKey?: string;
  azureADTokenProvider?: () => Promise<string>;
  apiVersion: string;
  deployment: string;
  region?: string;
}

/**
 * An Azure OpenAI deployment. The SDK's own retry would also retry 429s (it honours Retry-After up
 * to 60 s) without booking the retry in the shared budget: it is off, DraftingLlm retries.
 */
export function azureClient(options: AzureDeployment, timeoutMs: number): ChatCompletionsClient {
  const client = new AzureOpenAI({
    // Explicitly none: the SDK would otherwise take OPENAI_BASE_URL and OPENAI_PROJECT from the
    // environment, which belong to the OpenAI EU provider (and a base URL beside an endpoint is an error).
    baseURL: null,
    project: null,
    organization: null,
    endpoint: options.endpoint,
    apiVersion: options.apiVersion,
    deployment: options.deployment,
    ...(options.azureADTokenProvider
      ? { azureADTokenProvider: options.azureADTokenProvider }
      : { apiKey: options.apiKey }),
    maxRetries: 0,
    timeout: timeoutMs,
  });
  return new ChatCompletionsClient('azure', client, options.deployment, options.region ?? null);
}

/** An OpenAI-compatible local model (Ollama, vLLM); no key unless the server wants one. */
export function localClient(
  options: { baseURL: string; model: string; apiKey?: string },
  timeoutMs: number,
): ChatCompletionsClient {
  // project/organization null: OPENAI_PROJECT in the environment is the EU project's, not the local model's.
  const client = new OpenAI({
    baseURL: options.baseURL,
    apiKey: options.apiKey ?? 'local',
    project: null,
    organization: null,
    maxRetries: 0,
    timeout: timeoutMs,
  });
  return new ChatCompletionsClient('local', client, options.model, null);
}
