import OpenAI, { AzureOpenAI, APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { errorMessage, LeakBlocked, UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { Policy, RouteBudget } from '../../src/policy.ts';
import { EmailDraft, NO_CONNECTOR_METRICS, type ConnectorMetrics, type LlmDraftOutcome, type LlmDraftRequest, type LlmExtractRequest, type LlmPort, type LlmRouteName, type RateBudget, type RateBudgetSpec, type RateTicket } from '../../src/ports.ts';
import type { Settings } from '../../src/settings.ts';
import { retryAfterMs } from '../rate-window.ts';

/**
 * LlmPort on the `openai` package: the `eu` route is an AzureOpenAI deployment, the `local` route any
 * OpenAI-compatible endpoint. Every request first passes the job's leak guard (fail closed), then is
 * scheduled against the route's quota, shared by all processes (RateBudget); the answer is structured
 * output from one zod schema.
 *
 * Quota accounting follows Azure's documented rule (Azure OpenAI "quota" how-to, "rate limits"): at
 * admission a request counts its estimated prompt tokens plus max_tokens against TPM (billing counts
 * real usage, the limiter does not), and RPM is enforced over short windows, here RPM/6 per 10 s. So
 * a booking weighs prompt estimate + max_completion_tokens, and `usage` corrects only the prompt part.
 */
/** Azure's error body on a content-filter refusal (400, code content_filter, per-category results). */
const AzureErrorBody = z.object({
  code: z.string().optional(),
  innererror: z.object({ content_filter_result: z.record(z.string(), z.object({ filtered: z.boolean().optional() }).nullish()).optional() }).optional(),
});

// Built once: converting the zod schema to JSON Schema on every call is measurable.
const EMAIL_DRAFT_FORMAT = zodResponseFormat(EmailDraft, 'email_draft');

interface Route {
  client: OpenAI;
  model: string;
  quota: RateBudgetSpec;
  timeoutMs: number;
}

/** Longest a draft waits for its booked slot in process; further out, the queue pauses instead. */
const MAX_BOOKING_WAIT_MS = 60_000;
/** 429s from the provider despite the budget (another client on the deployment) honoured in process before the queue pauses. */
const THROTTLE_RETRIES = 2;
const MAX_IN_PROCESS_RETRY_AFTER_MS = 20_000;

/** The route's quota as Azure enforces it: TPM and RPM per minute, RPM/6 per 10 s. */
function quotaOf(route: LlmRouteName, b: RouteBudget): RateBudgetSpec {
  return {
    name: `llm-${route}`,
    rules: [
      { windowMs: 60_000, maxCount: b.requestsPerMinute, maxWeight: b.tokensPerMinute },
      { windowMs: 10_000, maxCount: Math.max(1, Math.floor(b.requestsPerMinute / 6)) },
    ],
    // The deployment sees a call a little after its booked time; a quarter second keeps a minute apart.
    marginMs: 250,
  };
}

export interface DraftingLlmOptions {
  eu?: { endpoint: string; apiKey?: string; azureADTokenProvider?: () => Promise<string>; apiVersion: string; deployment: string };
  local?: { baseURL: string; model: string; apiKey?: string };
  budgets: { eu: RouteBudget; local: RouteBudget };
  /** The shared quota schedule (Redis); without one calls are not paced (tests of other behaviour). */
  rateBudget?: RateBudget;
  /** Retries for 408/409/5xx and connection errors (429s have their own, see `complete`). */
  maxRetries?: number;
  /** Waits between those retries (tests pass one that does not really wait). */
  sleep?: (ms: number) => Promise<void>;
  maxCompletionTokens?: number;
  /** Where call outcomes, refusals and tokens are counted (the service passes its Prometheus sink). */
  metrics?: ConnectorMetrics;
}

export class DraftingLlm implements LlmPort {
  private readonly routes = new Map<LlmRouteName, Route>();
  private readonly maxCompletionTokens: number;
  private readonly metrics: ConnectorMetrics;
  private readonly maxRetries: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly rateBudget: RateBudget | undefined;

  constructor(options: DraftingLlmOptions) {
    this.rateBudget = options.rateBudget;
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    this.maxCompletionTokens = options.maxCompletionTokens ?? 800;
    this.maxRetries = options.maxRetries ?? 1;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    // The SDK's own retry would also retry 429s (it honours Retry-After up to 60 s) without booking
    // the retry in the shared budget, and on top of ours would double every retry: it is off, and
    // `complete` retries transient failures and 429s itself.
    const retries = 0;
    if (options.eu) {
      const b = options.budgets.eu;
      this.routes.set('eu', {
        client: new AzureOpenAI({
          endpoint: options.eu.endpoint,
          apiVersion: options.eu.apiVersion,
          deployment: options.eu.deployment,
          ...(options.eu.azureADTokenProvider ? { azureADTokenProvider: options.eu.azureADTokenProvider } : { apiKey: options.eu.apiKey }),
          maxRetries: retries,
          timeout: b.timeoutMs,
        }),
        model: options.eu.deployment,
        quota: quotaOf('eu', b),
        timeoutMs: b.timeoutMs,
      });
    }
    if (options.local) {
      const b = options.budgets.local;
      this.routes.set('local', {
        client: new OpenAI({ baseURL: options.local.baseURL, apiKey: options.local.apiKey ?? 'local', maxRetries: retries, timeout: b.timeoutMs }),
        model: options.local.model,
        quota: quotaOf('local', b),
        timeoutMs: b.timeoutMs,
      });
    }
  }

  static fromSettings(settings: Settings, policy: Policy, metrics?: ConnectorMetrics, rateBudget?: RateBudget): DraftingLlm {
    return new DraftingLlm({
      ...(metrics ? { metrics } : {}),
      ...(rateBudget ? { rateBudget } : {}),
      ...(settings.AZURE_OPENAI_ENDPOINT && settings.AZURE_OPENAI_DEPLOYMENT
        ? { eu: { endpoint: settings.AZURE_OPENAI_ENDPOINT, apiKey: settings.AZURE_OPENAI_API_KEY ?? '', apiVersion: settings.AZURE_OPENAI_API_VERSION, deployment: settings.AZURE_OPENAI_DEPLOYMENT } }
        : {}),
      ...(settings.LOCAL_LLM_BASE_URL && settings.LOCAL_LLM_MODEL ? { local: { baseURL: settings.LOCAL_LLM_BASE_URL, model: settings.LOCAL_LLM_MODEL } } : {}),
      budgets: policy.llm.routes,
    });
  }

  async draft(request: LlmDraftRequest): Promise<LlmDraftOutcome> {
    // Fail closed before anything leaves the process.
    const findings = [...request.guard(request.system), ...request.guard(request.user)];
    if (findings.length > 0) {
      for (const type of findings) this.metrics.leakGuardRefusal(type);
      throw new LeakBlocked(findings);
    }
    const route = this.routes.get(request.route);
    if (!route) throw new UpstreamRejected('llm', 503, `LLM route "${request.route}" is not configured`);

    try {
      const { completion, ticket } = await this.complete(route, request);
      this.metrics.upstream('llm', 'ok');
      const usage = { promptTokens: completion.usage?.prompt_tokens ?? 0, completionTokens: completion.usage?.completion_tokens ?? 0 };
      // What the deployment counted at admission: its prompt count (now known) plus max_tokens.
      // (A correction lost to a Redis hiccup only leaves the estimate in place: never fail the draft for it.)
      if (ticket && completion.usage) await this.rateBudget?.settle(ticket, { weight: usage.promptTokens + this.maxCompletionTokens }).catch(() => undefined);
      this.metrics.llmTokens(request.route, 'prompt', usage.promptTokens);
      this.metrics.llmTokens(request.route, 'completion', usage.completionTokens);
      const parsed = completion.choices[0]?.message.parsed;
      if (!parsed) throw new UpstreamUnavailable('llm', 'answer without structured content');
      return { kind: 'drafted', draft: parsed, usage, model: completion.model };
    } catch (err) {
      return this.outcomeOf(err, request.route);
    }
  }

  /** A JSON-schema answer on the route (the reply reader); the same guard, quota and errors as `draft`. */
  async extract<T>(request: LlmExtractRequest<T>): Promise<T> {
    const findings = [...request.guard(request.system), ...request.guard(request.user)];
    if (findings.length > 0) {
      for (const type of findings) this.metrics.leakGuardRefusal(type);
      throw new LeakBlocked(findings);
    }
    const route = this.routes.get(request.route);
    if (!route) throw new UpstreamRejected('llm', 503, `LLM route "${request.route}" is not configured`);
    try {
      const { completion } = await this.complete(route, request, zodResponseFormat(request.schema as z.ZodType<T> & z.ZodObject, request.schemaName), 0);
      this.metrics.upstream('llm', 'ok');
      const parsed = completion.choices[0]?.message.parsed as T | null | undefined;
      if (parsed === null || parsed === undefined) throw new UpstreamUnavailable('llm', 'answer without structured content');
      return parsed;
    } catch (err) {
      const outcome = this.outcomeOf(err, request.route);
      throw new UpstreamUnavailable('llm', `llm ${request.route}: no structured answer (${outcome.kind})`);
    }
  }

  /**
   * Waits for the booked slot in the shared quota; refuses (the queue pauses) when it is further out
   * than MAX_BOOKING_WAIT_MS.
   */
  private async book(route: Route, request: Omit<LlmDraftRequest, 'language'>): Promise<RateTicket | undefined> {
    if (!this.rateBudget) return undefined;
    const estimate = Math.ceil((request.system.length + request.user.length) / 4) + this.maxCompletionTokens;
    const grant = await this.rateBudget.reserve(route.quota, estimate, MAX_BOOKING_WAIT_MS);
    if (!grant.granted) throw new UpstreamRateLimited('llm', Math.max(1_000, grant.waitMs - MAX_BOOKING_WAIT_MS), `llm route ${request.route} quota booked ahead`);
    if (grant.waitMs > 0) await this.sleep(grant.waitMs);
    return grant.ticket;
  }

  /**
   * One completion in a booked slot. Transient failures are retried up to `maxRetries` times with
   * exponential backoff; a 429 (someone else used the deployment's quota too) waits its Retry-After and
   * books again, up to THROTTLE_RETRIES times, before the queue pauses. Each retry is a new booking.
   */
  private async complete(route: Route, request: Omit<LlmDraftRequest, 'language'>, format: { type: 'json_schema'; json_schema: unknown } = EMAIL_DRAFT_FORMAT, temperature = 0.4) {
    let throttled = 0;
    for (let attempt = 0; ; ) {
      const ticket = await this.book(route, request);
      // A busy process sends later than booked: later bookings count from when it really went.
      if (ticket) void this.rateBudget?.settle(ticket, { restamp: true }).catch(() => undefined);
      try {
        const completion = await route.client.chat.completions.parse({
          model: route.model,
          messages: [
            { role: 'system', content: request.system },
            { role: 'user', content: request.user },
          ],
          response_format: format as typeof EMAIL_DRAFT_FORMAT,
          max_completion_tokens: this.maxCompletionTokens,
          temperature,
        });
        return { completion, ticket };
      } catch (err) {
        if (err instanceof APIError && err.status === 429) {
          this.metrics.upstream('llm', 'throttled');
          const wait = retryAfterMs(Object.fromEntries(err.headers?.entries() ?? []), 10_000);
          // A refused request did not count against the deployment's quota: its booking goes back.
          if (ticket) await this.rateBudget?.release(ticket).catch(() => undefined);
          if (throttled >= THROTTLE_RETRIES || wait > MAX_IN_PROCESS_RETRY_AFTER_MS) throw new UpstreamRateLimited('llm', wait, `llm ${request.route} throttled`);
          throttled++;
          await this.sleep(wait);
          continue;
        }
        if (attempt >= this.maxRetries || !transient(err)) throw err;
        // The SDK's schedule: 0.5 s doubling, up to 25 % jitter.
        await this.sleep(500 * 2 ** attempt * (1 - Math.random() * 0.25));
        attempt++;
      }
    }
  }

  private outcomeOf(err: unknown, route: LlmRouteName): LlmDraftOutcome {
    if (err instanceof LengthFinishReasonError) return { kind: 'truncated' };
    if (err instanceof ContentFilterFinishReasonError) return { kind: 'content_filtered', categories: [] };
    if (err instanceof UpstreamUnavailable || err instanceof UpstreamRateLimited) throw err;
    if (err instanceof APIConnectionTimeoutError || err instanceof APIConnectionError) {
      this.metrics.upstream('llm', 'error');
      throw new UpstreamUnavailable('llm', `llm ${route}: ${err.message}`, undefined, { cause: err });
    }
    if (err instanceof APIError) {
      const status = err.status ?? 0;
      const body = AzureErrorBody.safeParse(err.error);
      if (status === 400 && (err.code === 'content_filter' || (body.success && body.data.code === 'content_filter'))) {
        this.metrics.upstream('llm', 'filtered');
        const results = (body.success ? body.data.innererror?.content_filter_result : undefined) ?? {};
        return { kind: 'content_filtered', categories: Object.entries(results).filter(([, r]) => r?.filtered).map(([k]) => k) };
      }
      if (status >= 400 && status < 500 && status !== 408 && status !== 409) {
        this.metrics.upstream('llm', 'rejected');
        throw new UpstreamRejected('llm', status, `llm ${route} refused with ${status}`);
      }
      this.metrics.upstream('llm', 'error');
      throw new UpstreamUnavailable('llm', `llm ${route} failed with ${status}`, status, { cause: err });
    }
    // Malformed JSON bodies and schema violations surface as plain errors from the SDK's parser.
    this.metrics.upstream('llm', 'error');
    throw new UpstreamUnavailable('llm', `llm ${route}: unusable answer (${errorMessage(err).slice(0, 80)})`, undefined, { cause: err });
  }
}

/** What the SDK itself would retry, minus 429 (throttling pauses the queue instead). */
function transient(err: unknown): boolean {
  if (err instanceof APIConnectionError) return true; // includes timeouts
  if (!(err instanceof APIError)) return false; // broken bodies and schema violations: not retried
  const status = err.status ?? 0;
  return status === 408 || status === 409 || status >= 500;
}
