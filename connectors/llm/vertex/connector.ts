import {
  ApiError,
  FinishReason,
  GoogleGenAI,
  Type,
  type GenerateContentResponse,
  type GoogleGenAIOptions,
} from '@google/genai';
import { JWT } from 'google-auth-library';
import type { ServiceAccountKey } from '../../../src/gmail-key.ts';
import {
  kindOfStatus,
  parseJsonText,
  ProviderError,
  type LlmCall,
  type LlmProviderClient,
  type ProviderAnswer,
} from '../provider.ts';

/**
 * Google Vertex AI on @google/genai (`vertexai: true`) at a regional `europe-*` location, never
 * `global` (config check refuses it): generateContent on the regional host's v1 API with JSON output
 * (responseMimeType application/json + responseSchema). Credentials: a service-account key
 * (GOOGLE_APPLICATION_CREDENTIALS, path or JSON) whose token requests go to GOOGLE_TOKEN_URL, else
 * Application Default Credentials (workload identity, the metadata server, gcloud).
 */

const SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** google-auth-library posts service-account grants here whatever the key file says. */
const LIBRARY_TOKEN_URL = 'https://oauth2.googleapis.com/token';

/** EmailDraft in Vertex's OpenAPI schema subset (responseSchema). */
const EMAIL_DRAFT_SCHEMA = {
  type: Type.OBJECT,
  properties: {
    subject: { type: Type.STRING, maxLength: '200' },
    body: { type: Type.STRING, maxLength: '8000' },
    language: { type: Type.STRING, enum: ['de', 'en'], format: 'enum' },
  },
  required: ['subject', 'body', 'language'],
  propertyOrdering: ['subject', 'body', 'language'],
};

/** Finish reasons that mean Google's filters stopped the answer (Candidate.FinishReason, Vertex v1). */
const FILTER_REASONS = new Set([
  'SAFETY',
  'RECITATION',
  'BLOCKLIST',
  'PROHIBITED_CONTENT',
  'SPII',
  'MODEL_ARMOR',
  'IMAGE_SAFETY',
]);

export interface VertexOptions {
  project: string;
  location: string;
  model: string;
  /** VERTEX_BASE_URL; default the regional host https://<location>-aiplatform.googleapis.com/. */
  baseUrl?: string;
  /** A service-account key; without it, Application Default Credentials. */
  key?: ServiceAccountKey;
  tokenUrl?: string;
}

export class VertexClient implements LlmProviderClient {
  readonly provider = 'vertex' as const;
  readonly model: string;
  readonly region: string;
  private readonly ai: GoogleGenAI;

  constructor(options: VertexOptions) {
    // config check refuses it with the reason; the connector still never builds a non-EU client.
    if (!options.location.startsWith('europe-'))
      throw new Error(`VERTEX_LOCATION: ${options.location} is not an EU location`);
    this.model = options.model;
    this.region = options.location;
    const auth = options.key
      ? serviceAccountClient(options.key, options.tokenUrl ?? LIBRARY_TOKEN_URL)
      : undefined;
    const config: GoogleGenAIOptions = {
      vertexai: true,
      project: options.project,
      location: options.location,
      // The SDK's GoogleAuth takes a ready client; its own ADC lookup runs only without one.
      googleAuthOptions: { scopes: [SCOPE], ...(auth ? { authClient: auth as never } : {}) },
      // v1 (the SDK defaults to v1beta1 on Vertex); no SDK retries: DraftingLlm retries and books.
      httpOptions: { apiVersion: 'v1', ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}) },
    };
    this.ai = new GoogleGenAI(config);
  }

  async complete(call: LlmCall): Promise<ProviderAnswer> {
    let res: GenerateContentResponse;
    try {
      res = await this.ai.models.generateContent({
        model: this.model,
        contents: [{ role: 'user', parts: [{ text: call.user }] }],
        config: {
          systemInstruction: { parts: [{ text: call.system }] },
          maxOutputTokens: call.maxTokens,
          temperature: call.temperature ?? 0.4,
          responseMimeType: 'application/json',
          ...(call.output
            ? { responseJsonSchema: call.output.json }
            : { responseSchema: EMAIL_DRAFT_SCHEMA }),
          httpOptions: { timeout: call.timeoutMs },
        },
      });
    } catch (err) {
      throw providerErrorOf(err);
    }
    const usage = res.usageMetadata
      ? {
          promptTokens: res.usageMetadata.promptTokenCount ?? 0,
          completionTokens: res.usageMetadata.candidatesTokenCount ?? 0,
        }
      : undefined;
    if (res.promptFeedback?.blockReason)
      throw new ProviderError('filtered', `prompt blocked: ${res.promptFeedback.blockReason}`, {
        categories: [String(res.promptFeedback.blockReason).toLowerCase()],
      });
    const candidate = res.candidates?.[0];
    const finish = candidate?.finishReason;
    if (finish === FinishReason.MAX_TOKENS)
      throw new ProviderError('truncated', 'answer hit the token limit');
    if (finish && FILTER_REASONS.has(String(finish))) {
      const rated = (candidate?.safetyRatings ?? [])
        .filter((r) => r.blocked)
        .map((r) => String(r.category).toLowerCase());
      throw new ProviderError('filtered', `answer stopped: ${finish}`, {
        categories: rated.length ? rated : [String(finish).toLowerCase()],
      });
    }
    // OTHER, MALFORMED_FUNCTION_CALL …: no usable draft, but no filter either.
    if (finish && finish !== FinishReason.STOP && finish !== FinishReason.FINISH_REASON_UNSPECIFIED)
      throw new ProviderError('unusable', `answer stopped: ${finish}`);
    return { output: parseJsonText(res.text), usage, model: res.modelVersion ?? this.model };
  }
}

/** A JWT client for the key, its token requests redirected to `tokenUrl` (sovereign endpoint, proxy, simulator). */
function serviceAccountClient(key: ServiceAccountKey, tokenUrl: string): JWT {
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
    scopes: [SCOPE],
  });
  if (tokenUrl !== LIBRARY_TOKEN_URL) {
    client.transporter.interceptors.request.add({
      resolved: async (opts) => {
        if (String(opts.url) === LIBRARY_TOKEN_URL) opts.url = new URL(tokenUrl);
        return opts;
      },
    });
  }
  return client;
}

/** RESOURCE_EXHAUSTED (429) throttles; UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL are transient; other 4xx refuse. */
function providerErrorOf(err: unknown): ProviderError {
  if (err instanceof ApiError) {
    const status = err.status;
    const detail = /"status":\s*"([A-Z_]+)"/.exec(err.message)?.[1] ?? String(status);
    return new ProviderError(kindOfStatus(status), `${detail} (${status})`, { status, cause: err });
  }
  // A timeout (AbortError), a refused connection or a token endpoint that did not answer.
  if (
    err instanceof Error &&
    (err.name === 'AbortError' || err.name === 'TimeoutError' || err instanceof TypeError)
  ) {
    return new ProviderError('transient', err.message, { cause: err });
  }
  // google-auth-library's errors carry the token endpoint's HTTP status.
  const status =
    (err as { status?: number; response?: { status?: number } })?.response?.status ??
    (err as { status?: number })?.status;
  if (typeof status === 'number')
    return new ProviderError(kindOfStatus(status), `token request failed with ${status}`, {
      status,
      cause: err,
    });
  return new ProviderError('transient', err instanceof Error ? err.message.slice(0, 80) : 'unknown failure', {
    cause: err,
  });
}
