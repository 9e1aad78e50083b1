import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  applyTransportFault,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../../support.ts';
import {
  draftFrom,
  estimateTokens,
  QuotaCounter,
  type DeploymentQuota,
  type QuotaStats,
} from '../simulator.ts';

/**
 * `POST /v1/chat/completions` as OpenAI's EU API and Mistral's API answer it (bearer key), for the
 * OpenAI and Mistral simulators. The two differ where clients notice:
 * - OpenAI: errors `{error:{message,type,param,code}}`; 429 `rate_limit_exceeded` with `retry-after-ms`
 *   and `x-ratelimit-*` headers; the `OpenAI-Project` header must name the key's project; a refusal
 *   comes as `message.refusal` with null content; `max_completion_tokens` accepted.
 * - Mistral: errors `{object:"error",message,type,param,code}`; 429 `rate_limited` (code "1300"),
 *   no Retry-After; 401 `{message:"Unauthorized"}`; unknown body fields (such as OpenAI's
 *   `max_completion_tokens`) are a 422 `extra_forbidden`; `response_format` `json_object` or `json_schema`.
 */
export type ChatDialect = 'openai' | 'mistral';

export interface ChatSimulator {
  url: string;
  apiKey: string;
  /** OpenAI only: the project the key belongs to. */
  project: string;
  models: string[];
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  setQuota(quota: DeploymentQuota | undefined): void;
  quotaStats(): QuotaStats;
  /** Text that makes the model refuse (OpenAI: message.refusal; Mistral: finish_reason "error"). */
  refusalMarker: string;
  close(): Promise<void>;
}

interface ChatBody {
  model?: string;
  messages?: { role: string; content: string }[];
  response_format?: { type: string; json_schema?: { name?: string; schema?: unknown; strict?: boolean } };
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

/** The request fields Mistral's chat completions accept; anything else is a 422. */
const MISTRAL_FIELDS = new Set([
  'model',
  'messages',
  'temperature',
  'top_p',
  'max_tokens',
  'stream',
  'stop',
  'random_seed',
  'response_format',
  'tools',
  'tool_choice',
  'presence_penalty',
  'frequency_penalty',
  'n',
  'prediction',
  'parallel_tool_calls',
  'prompt_mode',
  'safe_prompt',
  'metadata',
]);

export async function startChatSimulator(
  dialect: ChatDialect,
  options: { apiKey?: string; models?: string[]; project?: string; quota?: DeploymentQuota } = {},
): Promise<ChatSimulator> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 4 * 1024 * 1024 });
  const faults = new FaultInjector();
  const apiKey =
    options.apiKey ??
    (dialect === 'openai' ? 'sk-proj-sandbox-eu-000000000000' : 'sandbox-mistral-key-0000000000');
  const project = options.project ?? 'proj_sandboxEu0000000000';
  const models =
    options.models ??
    (dialect === 'openai'
      ? ['gpt-4o-mini-2024-07-18', 'gpt-4.1-mini']
      : ['mistral-small-latest', 'mistral-large-latest']);
  const refusalMarker = '##trigger-refusal##';
  let quota = options.quota ? new QuotaCounter(options.quota) : undefined;

  const error = (
    reply: FastifyReply,
    status: number,
    type: string,
    message: unknown,
    code: string | null = null,
  ) =>
    dialect === 'openai'
      ? reply
          .code(status)
          .type('application/json')
          .send({ error: { message, type, param: null, code } })
      : reply
          .code(status)
          .type('application/json')
          .send({ object: 'error', message, type, param: null, code });
  const throttle = (reply: FastifyReply, ms: number) => {
    if (dialect === 'mistral') return error(reply, 429, 'rate_limited', 'Rate limit exceeded', '1300');
    reply
      .header('retry-after-ms', String(ms))
      .header('x-ratelimit-remaining-requests', '0')
      .header('x-ratelimit-remaining-tokens', '0');
    return error(
      reply,
      429,
      'tokens',
      `Rate limit reached for requests in project ${project} on tokens per min (TPM). Please try again in ${(ms / 1000).toFixed(1)}s.`,
      'rate_limit_exceeded',
    );
  };

  app.addHook('onRequest', async (request) => {
    faults.record(request);
  });
  app.addHook('preHandler', async (request, reply) => {
    recordBody(request);
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      if (dialect === 'mistral')
        return reply
          .code(401)
          .type('application/json')
          .send({ message: 'Unauthorized', request_id: randomUUID().replace(/-/g, '') });
      return error(
        reply,
        401,
        'invalid_request_error',
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_api_key',
      );
    }
    const sentProject = request.headers['openai-project'];
    if (dialect === 'openai' && sentProject !== undefined && sentProject !== project) {
      return error(
        reply,
        401,
        'invalid_request_error',
        `OpenAI-Project header should match project for API key`,
        'invalid_project',
      );
    }
    const fault = faults.take(request);
    if (!fault) return;
    if (await applyTransportFault(fault, reply, '{"id":"x","choices":[{"message":')) return reply;
    if (fault.status === 429)
      return throttle(reply, fault.retryAfterMs ?? (fault.retryAfterSeconds ?? 1) * 1000);
    if (fault.status)
      return error(
        reply,
        fault.status,
        'server_error',
        'The server had an error while processing your request. Sorry about that!',
      );
    if (fault.finishReason)
      (request as unknown as { finishReason?: string }).finishReason = fault.finishReason;
  });

  app.post('/v1/chat/completions', async (request: FastifyRequest, reply) => {
    const body = (request.body ?? {}) as ChatBody;
    if (dialect === 'mistral') {
      const extra = Object.keys(body).filter((k) => !MISTRAL_FIELDS.has(k));
      if (extra.length > 0) {
        return error(reply, 422, 'invalid_request_error', {
          detail: extra.map((k) => ({
            type: 'extra_forbidden',
            loc: ['body', k],
            msg: 'Extra inputs are not permitted',
            input: body[k],
          })),
        });
      }
    }
    if (!body.model || !models.includes(body.model)) {
      return dialect === 'openai'
        ? error(
            reply,
            404,
            'invalid_request_error',
            `The model \`${body.model}\` does not exist or you do not have access to it.`,
            'model_not_found',
          )
        : error(reply, 400, 'invalid_model', 'Invalid model', '1500');
    }
    if (!Array.isArray(body.messages) || body.messages.length === 0)
      return error(reply, 400, 'invalid_request_error', "'messages' is a required property");
    const system = body.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n');
    const user = body.messages
      .filter((m) => m.role === 'user')
      .map((m) => m.content)
      .join('\n');
    if (quota) {
      const verdict = quota.admit(
        estimateTokens(system + user) + (body.max_completion_tokens ?? body.max_tokens ?? 4096),
      );
      if (!verdict.ok) return throttle(reply, Math.max(1, verdict.retryAfterMs));
    }
    const draft = draftFrom(system, user);
    let finish = (request as unknown as { finishReason?: string }).finishReason ?? 'stop';
    const wantsJson =
      body.response_format?.type === 'json_schema' || body.response_format?.type === 'json_object';
    let content: string | null = wantsJson ? JSON.stringify(draft) : `${draft.subject}\n\n${draft.body}`;
    let refusal: string | null = null;
    if (finish === 'length') content = content.slice(0, Math.floor(content.length / 2));
    if (finish === 'content_filter') content = null;
    if ((system + user).includes(refusalMarker)) {
      if (dialect === 'openai') [content, refusal] = [null, "I'm sorry, I can't help with that request."];
      else [content, finish] = ['', 'error'];
    }
    const promptTokens = estimateTokens(system + user);
    const completionTokens = estimateTokens(content ?? refusal ?? '');
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const id = randomUUID().replace(/-/g, '');
    if (dialect === 'mistral') {
      return reply.type('application/json').send({
        id,
        object: 'chat.completion',
        model: body.model,
        created: Math.floor(Date.now() / 1000),
        usage,
        choices: [
          { index: 0, message: { role: 'assistant', content, tool_calls: null }, finish_reason: finish },
        ],
      });
    }
    return reply.type('application/json').send({
      id: `chatcmpl-${id.slice(0, 24)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      service_tier: 'default',
      system_fingerprint: 'fp_sandbox_eu',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content, refusal, annotations: [] },
          logprobs: null,
          finish_reason: finish,
        },
      ],
      usage: {
        ...usage,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: {
          reasoning_tokens: 0,
          audio_tokens: 0,
          accepted_prediction_tokens: 0,
          rejected_prediction_tokens: 0,
        },
      },
    });
  });

  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url,
    apiKey,
    project,
    models,
    requests: faults.requests,
    refusalMarker,
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setQuota(value) {
      quota = value ? new QuotaCounter(value) : undefined;
    },
    quotaStats: () => quota?.stats ?? { admitted: [], throttled: 0, calls: 0 },
    close: () => app.close(),
  };
}
