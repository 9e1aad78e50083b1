import {
  BedrockRuntimeClient,
  BedrockRuntimeServiceException,
  ConverseCommand,
  type ConverseCommandOutput,
} from '@aws-sdk/client-bedrock-runtime';
import type { BedrockRuntimeClientConfig } from '@aws-sdk/client-bedrock-runtime';
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
 * AWS Bedrock through the Converse API (@aws-sdk/client-bedrock-runtime), so Claude, Mistral, Llama
 * and Nova models all take one request shape. Structured output is a forced tool call whose input
 * schema is the EmailDraft JSON Schema (Converse's portable way; a model that answers in text
 * instead still gets its JSON parsed). Credentials come from the AWS default chain (environment,
 * web identity, SSO, instance or task role); the region and the model id or `eu.` inference profile
 * are checked for EU residency by `config check` (src/llm-residency.ts).
 */

export interface BedrockOptions {
  region: string;
  modelId: string;
  /** BEDROCK_ENDPOINT_URL: a VPC endpoint, a proxy, or the simulator. */
  endpoint?: string;
  /** Tests only; otherwise the default chain. */
  credentials?: BedrockRuntimeClientConfig['credentials'];
}

const TOOL_NAME = 'email_draft';

export class BedrockClient implements LlmProviderClient {
  readonly provider = 'bedrock' as const;
  readonly model: string;
  readonly region: string;
  private readonly client: BedrockRuntimeClient;

  constructor(options: BedrockOptions) {
    // config check refuses these with the reason; the connector still never builds a non-EU client.
    if (!options.region.startsWith('eu-'))
      throw new Error(`AWS_REGION: ${options.region} is not an EU region`);
    if (/^(us|us-gov|apac|global|ca|jp|au)\./.test(options.modelId.split('/').at(-1) ?? ''))
      throw new Error(`BEDROCK_MODEL_ID: ${options.modelId} is not an EU inference profile`);
    this.model = options.modelId;
    this.region = options.region;
    this.client = new BedrockRuntimeClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      // The SDK would retry ThrottlingException itself, unseen by the shared quota booking: DraftingLlm retries.
      maxAttempts: 1,
    });
  }

  async complete(call: LlmCall): Promise<ProviderAnswer> {
    let out: ConverseCommandOutput;
    try {
      out = await this.client.send(
        new ConverseCommand({
          modelId: this.model,
          system: [{ text: call.system }],
          messages: [{ role: 'user', content: [{ text: call.user }] }],
          inferenceConfig: { maxTokens: call.maxTokens, temperature: call.temperature ?? 0.4 },
          toolConfig: {
            tools: [
              {
                toolSpec: {
                  name: TOOL_NAME,
                  description: call.output
                    ? `The answer: ${call.output.name}.`
                    : 'The e-mail draft: subject, body and language.',
                  inputSchema: { json: (call.output?.json ?? EMAIL_DRAFT_JSON_SCHEMA) as never },
                },
              },
            ],
            toolChoice: { tool: { name: TOOL_NAME } },
          },
        }),
        { abortSignal: AbortSignal.timeout(call.timeoutMs) },
      );
    } catch (err) {
      throw providerErrorOf(err);
    }
    const usage = out.usage
      ? { promptTokens: out.usage.inputTokens ?? 0, completionTokens: out.usage.outputTokens ?? 0 }
      : undefined;
    switch (out.stopReason) {
      case 'max_tokens':
      case 'model_context_window_exceeded':
        throw new ProviderError('truncated', 'answer hit the token limit');
      case 'guardrail_intervened':
      case 'content_filtered':
        throw new ProviderError('filtered', `answer stopped: ${out.stopReason}`, {
          categories: [out.stopReason],
        });
      default:
    }
    const content = out.output?.message?.content ?? [];
    const tool = content.find((c) => c.toolUse?.name === TOOL_NAME)?.toolUse;
    const output = tool ? tool.input : parseJsonText(content.map((c) => c.text ?? '').join(''));
    return { output, usage, model: this.model };
  }
}

/**
 * Bedrock's errors (x-amzn-ErrorType) in the neutral kinds: ThrottlingException (429),
 * ServiceUnavailableException (503), ModelTimeoutException (408), ModelNotReadyException (429),
 * InternalServerException (500) are retried or paused; AccessDeniedException, ValidationException,
 * ResourceNotFoundException and signature errors (403) are refusals.
 */
function providerErrorOf(err: unknown): ProviderError {
  if (err instanceof BedrockRuntimeServiceException) {
    const status = err.$metadata.httpStatusCode ?? (err.$fault === 'server' ? 500 : 400);
    return new ProviderError(kindOfStatus(status), `${err.name} (${status})`, { status, cause: err });
  }
  const name = err instanceof Error ? err.name : '';
  // A timeout (AbortSignal.timeout), a reset stream or a refused connection.
  if (
    name === 'AbortError' ||
    name === 'TimeoutError' ||
    (err as { $metadata?: unknown })?.$metadata === undefined
  ) {
    return new ProviderError('transient', err instanceof Error ? err.message : String(err), { cause: err });
  }
  const status = (err as { $metadata: { httpStatusCode?: number } }).$metadata.httpStatusCode ?? 500;
  return new ProviderError(kindOfStatus(status), `${name} (${status})`, { status, cause: err });
}
