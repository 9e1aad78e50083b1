import { Mistral } from '@mistralai/mistralai';
import {
  ConnectionError,
  HTTPClientError,
  HTTPValidationError,
  MistralError,
  RequestAbortedError,
  RequestTimeoutError,
  ResponseValidationError,
} from '@mistralai/mistralai/models/errors';
import {
  EMAIL_DRAFT_JSON_SCHEMA,
  kindOfStatus,
  parseJsonText,
  ProviderError,
  type LlmCall,
  type LlmProviderClient,
  type ProviderAnswer,
} from '../provider.ts';

/**
 * Mistral AI's EU-hosted API (Paris) on @mistralai/mistralai: chat.complete with `json_schema`
 * output from the EmailDraft schema. MISTRAL_BASE_URL is the SDK's `serverURL` (the SDK adds
 * /v1/chat/completions). The SDK's retries are off: DraftingLlm retries and books each try.
 */
export interface MistralOptions {
  apiKey: string;
  model: string;
  serverURL?: string;
}

export class MistralClient implements LlmProviderClient {
  readonly provider = 'mistral' as const;
  readonly region = 'eu';
  readonly model: string;
  private readonly client: Mistral;

  constructor(options: MistralOptions) {
    this.model = options.model;
    this.client = new Mistral({
      apiKey: options.apiKey,
      ...(options.serverURL ? { serverURL: options.serverURL } : {}),
      retryConfig: { strategy: 'none' },
    });
  }

  async complete(call: LlmCall): Promise<ProviderAnswer> {
    let res;
    try {
      res = await this.client.chat.complete(
        {
          model: this.model,
          messages: [
            { role: 'system', content: call.system },
            { role: 'user', content: call.user },
          ],
          responseFormat: {
            type: 'json_schema',
            jsonSchema: {
              name: call.output?.name ?? 'email_draft',
              schemaDefinition: call.output?.json ?? EMAIL_DRAFT_JSON_SCHEMA,
              strict: true,
            },
          },
          maxTokens: call.maxTokens,
          temperature: call.temperature ?? 0.4,
        },
        { timeoutMs: call.timeoutMs },
      );
    } catch (err) {
      throw providerErrorOf(err);
    }
    const choice = res.choices[0];
    if (choice?.finishReason === 'length' || choice?.finishReason === 'model_length')
      throw new ProviderError('truncated', 'answer hit the token limit');
    // Mistral ends a generation it will not finish (moderation, a model error) with finish_reason "error".
    if (choice?.finishReason === 'error')
      throw new ProviderError('filtered', 'the model stopped with an error', { categories: ['error'] });
    const content = choice?.message?.content;
    const text =
      typeof content === 'string'
        ? content
        : (content ?? []).map((c) => ('text' in c ? c.text : '')).join('');
    const usage = res.usage
      ? { promptTokens: res.usage.promptTokens ?? 0, completionTokens: res.usage.completionTokens ?? 0 }
      : undefined;
    return { output: parseJsonText(text), usage, model: res.model };
  }
}

/** 429 `rate_limited` (no Retry-After) throttles; 422 validation and 401 refuse; timeouts and 5xx are transient. */
function providerErrorOf(err: unknown): ProviderError {
  if (
    err instanceof RequestTimeoutError ||
    err instanceof RequestAbortedError ||
    err instanceof ConnectionError
  )
    return new ProviderError('transient', err.message, { cause: err });
  if (err instanceof HTTPValidationError)
    return new ProviderError('rejected', 'request refused as invalid (422)', { status: 422, cause: err });
  if (err instanceof MistralError) {
    const retryAfter = Number(err.headers.get('retry-after'));
    return new ProviderError(kindOfStatus(err.statusCode), `failed with ${err.statusCode}`, {
      status: err.statusCode,
      ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}),
      cause: err,
    });
  }
  if (err instanceof ResponseValidationError)
    return new ProviderError('unusable', 'answer does not match the chat completion shape', { cause: err });
  if (err instanceof HTTPClientError) return new ProviderError('transient', err.message, { cause: err });
  return new ProviderError('unusable', err instanceof Error ? err.message.slice(0, 80) : 'unusable answer', {
    cause: err,
  });
}
