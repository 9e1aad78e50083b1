import { z } from 'zod';
import type { LlmProvider } from '../../src/policy.ts';
import { EmailDraft } from '../../src/ports.ts';

/**
 * What one LLM provider adapter does (connectors/llm/<provider>/connector.ts): a single call on its
 * official SDK, with the SDK's own retries off, that returns the structured answer or throws a
 * ProviderError. Everything around the call (leak guard, quota booking, retries, 429 handling,
 * validation, usage accounting, metrics) is DraftingLlm's, the same for every provider.
 */
export interface LlmProviderClient {
  readonly provider: LlmProvider;
  /** The model or deployment as configured (the answer names the model that really drafted). */
  readonly model: string;
  /** Region or location, where the provider has one (for logs and the demo). */
  readonly region: string | null;
  complete(call: LlmCall): Promise<ProviderAnswer>;
}

/** A structured answer other than the e-mail draft (the reply reader's): its name, zod shape and JSON Schema. */
export interface OutputSchema {
  name: string;
  zod: z.ZodType;
  json: Record<string, unknown>;
}

export function outputSchema(name: string, zod: z.ZodType): OutputSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(zod) as Record<string, unknown>;
  return { name, zod, json };
}

export interface LlmCall {
  system: string;
  user: string;
  maxTokens: number;
  /** The answer's shape when it is not the e-mail draft. */
  output?: OutputSchema;
  /** Sampling temperature; drafts use 0.4, extraction 0. */
  temperature?: number;
  /** Abort the call after this long (a hung provider must not hold a job). */
  timeoutMs: number;
}

export interface ProviderAnswer {
  /** The parsed JSON the model produced; DraftingLlm validates it against EmailDraft. */
  output: unknown;
  usage: { promptTokens: number; completionTokens: number } | undefined;
  model: string;
}

/**
 * throttled: the provider's 429 (retryAfterMs when it said how long); transient: 408/409/5xx,
 * timeouts, connection errors; rejected: any other 4xx; filtered: a content filter or refusal;
 * truncated: the answer hit the token limit; unusable: an answer that is not the asked JSON.
 */
export type ProviderErrorKind =
  'throttled' | 'transient' | 'rejected' | 'filtered' | 'truncated' | 'unusable';

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  readonly categories: string[];
  constructor(
    kind: ProviderErrorKind,
    message: string,
    details: { status?: number; retryAfterMs?: number; categories?: string[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.categories = details.categories ?? [];
  }
}

/** The error kind an HTTP status means (429 throttled; 408, 409 and 5xx transient; other 4xx rejected). */
export function kindOfStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'throttled';
  if (status === 408 || status === 409 || status >= 500) return 'transient';
  return 'rejected';
}

/** Parses model text that should be one JSON object (a code fence around it is tolerated). */
export function parseJsonText(text: string | undefined | null): unknown {
  if (!text) throw new ProviderError('unusable', 'answer without content');
  const trimmed = text.trim().replace(/^```(?:json)?\s*([\s\S]*?)\s*```$/, '$1');
  try {
    return JSON.parse(trimmed);
  } catch (err) {
    throw new ProviderError('unusable', 'answer is not JSON', { cause: err });
  }
}

/** The EmailDraft shape as plain JSON Schema (Bedrock tool input, Mistral json_schema), built once. */
export const EMAIL_DRAFT_JSON_SCHEMA: Record<string, unknown> = (() => {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(EmailDraft) as Record<string, unknown>;
  return schema;
})();
