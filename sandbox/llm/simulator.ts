import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { readReply } from '../../src/scheduling/reply.ts';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import {
  applyTransportFault,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../support.ts';
import type { Language } from '../../src/policy.ts';

/**
 * A local Azure OpenAI (and OpenAI-compatible) chat completions endpoint for tests and the sandbox:
 * `/openai/deployments/{d}/chat/completions?api-version=…` with the `api-key` header, the v1 path
 * `/openai/v1/chat/completions`, and `/v1/chat/completions` for a local model. Responses carry usage,
 * `prompt_filter_results` and per-choice `content_filter_results` like Azure's. Its draft is
 * deterministic and follows the prompt's instructions, using the placeholders it received.
 *
 * With a quota it rate-limits like an Azure deployment, following Azure's documented rule ("Manage
 * Azure OpenAI quota", rate limits): at admission a request counts its estimated prompt tokens plus
 * max_tokens (max_completion_tokens) into a running count reset each minute, and past the TPM it gets
 * 429 until the reset; RPM is enforced over short windows, here RPM/6 per 10 s (the docs name 1 s or
 * 10 s). A 429 carries `retry-after-ms` and `retry-after` (time to the reset), answers carry
 * `x-ratelimit-remaining-tokens` and `x-ratelimit-remaining-requests`. Billing (`usage`) counts the
 * real completion; the limiter does not look at it.
 */
export type MangleMode =
  | 'lowercase'
  | 'spaces'
  | 'single_brackets'
  | 'unknown_placeholder'
  | 'drop_greeting'
  | 'add_link'
  | 'alter_slot';

/** A deployment's quota: TPM, and RPM (Azure's default for chat models is 6 per 1,000 TPM). */
export interface DeploymentQuota {
  tokensPerMinute: number;
  requestsPerMinute?: number;
}

/** What the quota saw: each admitted request's counted tokens and time, and the 429s. */
export interface QuotaStats {
  admitted: { at: number; tokens: number }[];
  throttled: number;
  calls: number;
}

export interface AzureOpenAiSimulator {
  url: string;
  /** Enforces a deployment quota from now on (undefined: none, the default). */
  setQuota(quota: DeploymentQuota | undefined): void;
  quotaStats(): QuotaStats;
  /** How long the model takes to answer an admitted request (default 0). */
  setLatency(ms: number): void;
  apiKey: string;
  deployment: string;
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  /** Drops every injected fault not yet used up (tests: no fault outlives its case). */
  clearFaults(): void;
  setDown(down: boolean): void;
  mangle(mode: MangleMode, times?: number): void;
  /** Text that triggers Azure's prompt content filter (400 content_filter). */
  contentFilterMarker: string;
  close(): Promise<void>;
}

interface ChatMessage {
  role: string;
  content: string | { type: string; text?: string }[];
}
interface ChatBody {
  model?: string;
  messages?: ChatMessage[];
  response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema?: unknown } };
  max_tokens?: number;
  max_completion_tokens?: number;
}

const SAFE = { filtered: false, severity: 'safe' };
const FILTER_RESULTS = { hate: SAFE, self_harm: SAFE, sexual: SAFE, violence: SAFE };

function text(message: ChatMessage): string {
  return typeof message.content === 'string'
    ? message.content
    : message.content.map((p) => p.text ?? '').join('');
}

/** Rough token count (≈ 4 characters per token), like the real tokenizer's order of magnitude. */
export function estimateTokens(s: string): number {
  return Math.ceil(s.length / 4);
}

/** The deterministic draft every simulated model writes (it follows the prompt, using its placeholders). */
export function draftFrom(
  system: string,
  user: string,
): { subject: string; body: string; language: Language } {
  const de = /language \("de"\)|Sie-Form|Beginne den Text/.test(system + user);
  const greeting = (
    user.match(
      /(?:Start the body with exactly this line|Beginne den Text \(body\) mit genau dieser Zeile):\s*(.+)/,
    )?.[1] ?? (de ? 'Guten Tag,' : 'Hello,')
  ).trim();
  const closingMatch = user.match(
    /(?:End the body with exactly these lines|Beende den Text mit genau diesen Zeilen):\s*\n([\s\S]*?)\n(?:Kontext|Context):/,
  );
  const closing = (closingMatch?.[1] ?? (de ? 'Mit freundlichen Grüßen' : 'Kind regards')).trim();
  const company = user.match(
    /(?:Firma des (?:Kontakts|Interessenten)|(?:Contact's|Lead's) company):\s*(\[\[[A-Z]+_\d+\]\])/,
  )?.[1];
  const isLead = /neuen Interessenten|new lead|Kennenlern|introductory/.test(system);
  // Computed slots come as a numbered list under a label; a good model copies them verbatim.
  const slotLines = user
    .match(/(?:Zeitfenster \(genau so übernehmen\)|Time slots \(copy exactly\)):\s*\n((?:\d+\. .+\n?)+)/)?.[1]
    ?.trim();
  const offer = slotLines
    ? de
      ? `Passt Ihnen einer dieser Termine?\n\n${slotLines}\n\nEine kurze Antwort mit der Nummer genügt.`
      : `Would one of these times suit you?\n\n${slotLines}\n\nA short reply with the number is all I need.`
    : undefined;
  const body = de
    ? [
        greeting,
        '',
        isLead
          ? `vielen Dank für Ihr Interesse an unserem Angebot. Gern stelle ich Ihnen in einem kurzen Gespräch vor, was wir${company ? ` für ${company}` : ' für Sie'} tun können.`
          : `vielen Dank für Ihre Nachricht. Gern rufe ich Sie wie gewünscht zurück und bespreche mit Ihnen, wie wir Sie${company ? ` bei ${company}` : ''} unterstützen können.`,
        offer ??
          'Passt Ihnen Dienstag um 10:00 Uhr oder Mittwoch um 14:30 Uhr? Eine kurze Bestätigung genügt.',
        '',
        closing,
      ]
    : [
        greeting,
        '',
        isLead
          ? `Thank you for getting in touch${company ? ` on behalf of ${company}` : ''}. I would be glad to introduce our services in a short call.`
          : `Thank you for your message${company ? ` on behalf of ${company}` : ''}. I will gladly call you back as requested.`,
        offer ?? 'Would Tuesday at 10:00 or Wednesday at 14:30 suit you? A short confirmation is all I need.',
        '',
        closing,
      ];
  return {
    subject: de
      ? isLead
        ? 'Ihr Kennenlerngespräch'
        : 'Ihr Rückrufwunsch – Terminvorschlag'
      : isLead
        ? 'Your introductory call'
        : 'Your callback request – proposed times',
    body: body.join('\n'),
    language: de ? 'de' : 'en',
  };
}

function applyMangle(draft: { subject: string; body: string; language: Language }, mode: MangleMode) {
  const body = draft.body;
  switch (mode) {
    case 'lowercase':
      return {
        ...draft,
        body: body.replace(
          /\[\[([A-Z]+)_(\d+)\]\]/g,
          (_, t: string, n: string) => `[[${t.toLowerCase()}_${n}]]`,
        ),
      };
    case 'spaces':
      return { ...draft, body: body.replace(/\[\[([A-Z]+)_(\d+)\]\]/g, '[[ $1_$2 ]]') };
    case 'single_brackets':
      return { ...draft, body: body.replace(/\[\[([A-Z]+)_(\d+)\]\]/g, '[$1_$2]') };
    case 'unknown_placeholder':
      return { ...draft, body: `${body}\nP.S. Grüße an [[PERSON_99]].` };
    case 'alter_slot':
      // A model "improving" an offered time: 10:00–10:30 becomes 11:11–10:30.
      return { ...draft, body: body.replace(/\d{2}:\d{2}–/, '11:11–') };
    case 'drop_greeting':
      return { ...draft, body: body.split('\n').slice(1).join('\n') };
    case 'add_link':
      return { ...draft, body: `${body}\nBuchen Sie hier: https://evil.test/book?u=[[EMAIL_1]]` };
  }
}

/** Azure's fixed-window counters: tokens per minute, requests per 10 s (the Bedrock simulator uses them too). */
export class QuotaCounter {
  readonly stats: QuotaStats = { admitted: [], throttled: 0, calls: 0 };
  private minute = -1;
  private tokens = 0;
  private tenSeconds = -1;
  private requests = 0;
  readonly quota: DeploymentQuota;
  constructor(quota: DeploymentQuota) {
    this.quota = quota;
  }

  private get rpm(): number {
    return this.quota.requestsPerMinute ?? Math.max(1, Math.floor((this.quota.tokensPerMinute / 1000) * 6));
  }

  /** Admits `cost` tokens or says how long until the window that refused resets. */
  admit(
    cost: number,
    now = Date.now(),
  ): { ok: true; remainingTokens: number; remainingRequests: number } | { ok: false; retryAfterMs: number } {
    this.stats.calls++;
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute) [this.minute, this.tokens] = [minute, 0];
    const ten = Math.floor(now / 10_000);
    if (ten !== this.tenSeconds) [this.tenSeconds, this.requests] = [ten, 0];
    const perTen = Math.max(1, Math.floor(this.rpm / 6));
    if (this.requests + 1 > perTen) {
      this.stats.throttled++;
      return { ok: false, retryAfterMs: (ten + 1) * 10_000 - now };
    }
    if (this.tokens + cost > this.quota.tokensPerMinute) {
      this.stats.throttled++;
      return { ok: false, retryAfterMs: (minute + 1) * 60_000 - now };
    }
    this.tokens += cost;
    this.requests++;
    this.stats.admitted.push({ at: now, tokens: cost });
    return {
      ok: true,
      remainingTokens: this.quota.tokensPerMinute - this.tokens,
      remainingRequests: perTen - this.requests,
    };
  }
}

export async function startAzureOpenAiSimulator(
  options: {
    port?: number;
    host?: string;
    apiKey?: string;
    deployment?: string;
    model?: string;
    quota?: DeploymentQuota;
    latencyMs?: number;
    region?: string;
  } = {},
): Promise<AzureOpenAiSimulator> {
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 4 * 1024 * 1024 });
  // Azure names the region that served the call in every answer (display name, e.g. "Sweden Central").
  const region = options.region ?? 'Sweden Central';
  app.addHook('onSend', async (_request, reply) => void reply.header('x-ms-region', region));
  const faults = new FaultInjector();
  const apiKey = options.apiKey ?? 'sandbox-azure-openai-key';
  const deployment = options.deployment ?? 'gpt-4o-mini-eu';
  const model = options.model ?? 'gpt-4o-mini-2024-07-18';
  const contentFilterMarker = '##trigger-content-filter##';
  let down = false;
  let quota = options.quota ? new QuotaCounter(options.quota) : undefined;
  // A real model takes seconds per answer; the bench sets this to hold many calls in flight.
  let latencyMs = options.latencyMs ?? 0;
  const mangles: { mode: MangleMode; left: number }[] = [];

  const azureError = (
    reply: FastifyReply,
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
  ) =>
    reply
      .code(status)
      .type('application/json')
      .send({ error: { code, message, ...extra } });

  app.addHook('preHandler', async (request, reply) => {
    recordBody(request);
    if (down)
      return azureError(
        reply,
        503,
        'ServiceUnavailable',
        'The service is temporarily unable to process your request. Please try again later.',
      );
    const fault = faults.take(request);
    if (!fault) return;
    if (await applyTransportFault(fault, reply, '{"id":"chatcmpl-x","choices":[{"message":')) return reply;
    if (fault.status === 429) {
      const ms = fault.retryAfterMs ?? (fault.retryAfterSeconds ?? 1) * 1000;
      reply
        .header('retry-after-ms', String(ms))
        .header('retry-after', String(Math.ceil(ms / 1000)))
        .header('x-ratelimit-remaining-requests', '0')
        .header('x-ratelimit-remaining-tokens', '0');
      return azureError(
        reply,
        429,
        '429',
        `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current AIServices S0 pricing tier. Please retry after ${Math.ceil(ms / 1000)} seconds.`,
      );
    }
    if (fault.status)
      return azureError(
        reply,
        fault.status,
        String(fault.status),
        'The server had an error while processing your request.',
      );
    if (fault.finishReason)
      (request as unknown as { finishReason?: string }).finishReason = fault.finishReason;
  });
  app.addHook('onRequest', async (request) => {
    faults.record(request);
  });

  const complete = async (request: FastifyRequest, reply: FastifyReply, modelName: string, azure = true) => {
    const body = (request.body ?? {}) as ChatBody;
    if (!Array.isArray(body.messages) || body.messages.length === 0) {
      return azureError(reply, 400, 'BadRequest', "'messages' is a required property", {
        param: 'messages',
        type: 'invalid_request_error',
      });
    }
    const system = body.messages
      .filter((m) => m.role === 'system' || m.role === 'developer')
      .map(text)
      .join('\n');
    const user = body.messages
      .filter((m) => m.role === 'user')
      .map(text)
      .join('\n');
    if ((system + user).includes(contentFilterMarker)) {
      return azureError(
        reply,
        400,
        'content_filter',
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
        {
          param: 'prompt',
          type: null,
          status: 400,
          innererror: {
            code: 'ResponsibleAIPolicyViolation',
            content_filter_result: { ...FILTER_RESULTS, violence: { filtered: true, severity: 'medium' } },
          },
        },
      );
    }
    if (quota && azure) {
      // Azure counts the prompt estimate plus max_tokens at admission (a request without it: 4096 here).
      const cost = estimateTokens(system + user) + (body.max_completion_tokens ?? body.max_tokens ?? 4096);
      const verdict = quota.admit(cost);
      if (!verdict.ok) {
        const ms = Math.max(1, verdict.retryAfterMs);
        reply
          .header('retry-after-ms', String(ms))
          .header('retry-after', String(Math.ceil(ms / 1000)))
          .header('x-ratelimit-remaining-requests', '0')
          .header('x-ratelimit-remaining-tokens', '0');
        return azureError(
          reply,
          429,
          '429',
          `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current AIServices S0 pricing tier. Please retry after ${Math.ceil(ms / 1000)} seconds.`,
        );
      }
      reply
        .header('x-ratelimit-remaining-tokens', String(verdict.remainingTokens))
        .header('x-ratelimit-remaining-requests', String(verdict.remainingRequests));
    }
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
    let draft = draftFrom(system, user);
    // Mangles are for drafts: a reply reading never uses one up.
    const m = body.response_format?.json_schema?.name === 'reply_answer' ? undefined : mangles[0];
    if (m) {
      draft = applyMangle(draft, m.mode);
      if (--m.left === 0) mangles.shift();
    }
    const finish = (request as unknown as { finishReason?: string }).finishReason ?? 'stop';
    const wantsJson =
      body.response_format?.type === 'json_schema' || body.response_format?.type === 'json_object';
    // The reply reader's second engine: the simulated model reads like the rules (the sandbox's engine).
    const replyAnswer =
      body.response_format?.json_schema?.name === 'reply_answer' ? simulatedReplyAnswer(user) : undefined;
    let content = replyAnswer ?? (wantsJson ? JSON.stringify(draft) : `${draft.subject}\n\n${draft.body}`);
    if (finish === 'length') content = content.slice(0, Math.floor(content.length / 2));
    const promptTokens = estimateTokens(system + user);
    const completionTokens = estimateTokens(content);
    const filtered = finish === 'content_filter';
    return reply.type('application/json').send({
      id: `chatcmpl-${randomUUID().replace(/-/g, '').slice(0, 24)}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: modelName,
      system_fingerprint: 'fp_draftbridge_sim',
      prompt_filter_results: [{ prompt_index: 0, content_filter_results: FILTER_RESULTS }],
      choices: [
        {
          index: 0,
          finish_reason: finish,
          logprobs: null,
          message: { role: 'assistant', content: filtered ? null : content, refusal: null },
          content_filter_results: filtered
            ? { ...FILTER_RESULTS, sexual: { filtered: true, severity: 'medium' } }
            : FILTER_RESULTS,
        },
      ],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  };

  const requireKey = (request: FastifyRequest, reply: FastifyReply): boolean => {
    const presented = request.headers['api-key'] ?? request.headers.authorization?.replace(/^Bearer /, '');
    if (presented === apiKey) return true;
    void azureError(
      reply,
      401,
      '401',
      'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.',
    );
    return false;
  };

  app.post(
    '/openai/deployments/:deployment/chat/completions',
    async (
      request: FastifyRequest<{ Params: { deployment: string }; Querystring: { 'api-version'?: string } }>,
      reply,
    ) => {
      if (!requireKey(request, reply)) return reply;
      if (!request.query['api-version']) return azureError(reply, 404, '404', 'Resource not found');
      if (request.params.deployment !== deployment)
        return azureError(
          reply,
          404,
          'DeploymentNotFound',
          'The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.',
        );
      return complete(request, reply, model);
    },
  );
  app.post('/openai/v1/chat/completions', async (request, reply) => {
    if (!requireKey(request, reply)) return reply;
    const body = request.body as ChatBody;
    if (body?.model !== deployment)
      return azureError(
        reply,
        404,
        'DeploymentNotFound',
        'The API deployment for this resource does not exist.',
      );
    return complete(request, reply, model);
  });
  // An OpenAI-compatible local model (Ollama, vLLM): no key required, no Azure quota.
  app.post('/v1/chat/completions', async (request, reply) =>
    complete(request, reply, (request.body as ChatBody)?.model ?? 'llama3.1:8b', false),
  );

  const url = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url,
    apiKey,
    deployment,
    contentFilterMarker,
    requests: faults.requests,
    setQuota(value) {
      quota = value ? new QuotaCounter(value) : undefined;
    },
    quotaStats: () => quota?.stats ?? { admitted: [], throttled: 0, calls: 0 },
    setLatency(ms) {
      latencyMs = ms;
    },
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    setDown(value) {
      down = value;
    },
    mangle(mode, times = 1) {
      mangles.push({ mode, left: times });
    },
    close: () => app.close(),
  };
}

/** The reply_answer a model would give, read by the rule engine from the prompt the LLM engine builds. */
function simulatedReplyAnswer(user: string): string {
  const zone = /\(time zone ([^)]+)\); now (\S+)\./.exec(user);
  const offered = [...user.matchAll(/^\d+\. .*\[(\S+)\/(\S+)\]$/gm)].map((m) => ({
    start: m[1]!,
    end: m[2]!,
  }));
  const text = user.split('\nReply:\n')[1] ?? '';
  const a = readReply(text, offered, {
    timeZone: zone?.[1] ?? 'UTC',
    now: new Date(zone?.[2] ?? Date.now()),
  });
  const counter = a.counter ? DateTime.fromISO(a.counter.start, { zone: zone?.[1] ?? 'UTC' }) : undefined;
  return JSON.stringify({
    kind: a.kind,
    choice: a.choice === null ? null : a.choice + 1,
    counter_date: counter?.toISODate() ?? null,
    counter_time: counter?.toFormat('HH:mm') ?? null,
  });
}
