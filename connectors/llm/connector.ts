import OpenAI, { AzureOpenAI, APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { ContentFilterFinishReasonError, LengthFinishReasonError } from 'openai/core/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { errorMessage, LeakBlocked, UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import type { Policy, RouteBudget } from '../../src/policy.ts';
import { EmailDraft, NO_CONNECTOR_METRICS, type ConnectorMetrics, type LlmDraftOutcome, type LlmDraftRequest, type LlmPort, type LlmRouteName } from '../../src/ports.ts';
import type { Settings } from '../../src/settings.ts';
import { retryAfterMs } from '../rate-window.ts';
import { TokenBudget } from './token-budget.ts';

/**
 * LlmPort on the `openai` package: the `eu` route is an AzureOpenAI deployment, the `local` route any
 * OpenAI-compatible endpoint. Every request first passes the job's leak guard (fail closed), then a
 * per-route requests/tokens-per-minute budget; the answer is structured output from one zod schema.
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
  budget: TokenBudget;
  timeoutMs: number;
}

export interface DraftingLlmOptions {
  eu?: { endpoint: string; apiKey?: string; azureADTokenProvider?: () => Promise<string>; apiVersion: string; deployment: string };
  local?: { baseURL: string; model: string; apiKey?: string };
  budgets: { eu: RouteBudget; local: RouteBudget };
  /** Retries for 408/409/5xx and connection errors; 429 is never retried here (the queue pauses). */
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

  constructor(options: DraftingLlmOptions) {
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    this.maxCompletionTokens = options.maxCompletionTokens ?? 800;
    this.maxRetries = options.maxRetries ?? 1;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    // The SDK's own retry would also retry 429s (it honours Retry-After up to 60 s inside the job)
    // and sleeps where nobody can shorten it; we retry transient failures ourselves (see `complete`)
    // and let throttling pause the whole queue instead.
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
        budget: new TokenBudget(b.requestsPerMinute, b.tokensPerMinute),
        timeoutMs: b.timeoutMs,
      });
    }
    if (options.local) {
      const b = options.budgets.local;
      this.routes.set('local', {
        client: new OpenAI({ baseURL: options.local.baseURL, apiKey: options.local.apiKey ?? 'local', maxRetries: retries, timeout: b.timeoutMs }),
        model: options.local.model,
        budget: new TokenBudget(b.requestsPerMinute, b.tokensPerMinute),
        timeoutMs: b.timeoutMs,
      });
    }
  }

  static fromSettings(settings: Settings, policy: Policy, metrics?: ConnectorMetrics): DraftingLlm {
    return new DraftingLlm({
      ...(metrics ? { metrics } : {}),
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

    const estimate = Math.ceil((request.system.length + request.user.length) / 4) + this.maxCompletionTokens;
    const wait = route.budget.reserve(estimate);
    if (wait > 0) throw new UpstreamRateLimited('llm', wait, `llm route ${request.route} budget exhausted`);

    try {
      const completion = await this.complete(route, request);
      this.metrics.upstream('llm', 'ok');
      const usage = { promptTokens: completion.usage?.prompt_tokens ?? 0, completionTokens: completion.usage?.completion_tokens ?? 0 };
      route.budget.settle(estimate, usage.promptTokens + usage.completionTokens);
      this.metrics.llmTokens(request.route, 'prompt', usage.promptTokens);
      this.metrics.llmTokens(request.route, 'completion', usage.completionTokens);
      const parsed = completion.choices[0]?.message.parsed;
      if (!parsed) throw new UpstreamUnavailable('llm', 'answer without structured content');
      return { kind: 'drafted', draft: parsed, usage, model: completion.model };
    } catch (err) {
      return this.outcomeOf(err, request.route);
    }
  }

  /** One completion, retried up to `maxRetries` times on transient failures with exponential backoff. */
  private async complete(route: Route, request: LlmDraftRequest) {
    for (let attempt = 0; ; attempt++) {
      try {
        return await route.client.chat.completions.parse({
          model: route.model,
          messages: [
            { role: 'system', content: request.system },
            { role: 'user', content: request.user },
          ],
          response_format: EMAIL_DRAFT_FORMAT,
          max_completion_tokens: this.maxCompletionTokens,
          temperature: 0.4,
        });
      } catch (err) {
        if (attempt >= this.maxRetries || !transient(err)) throw err;
        // The SDK's schedule: 0.5 s doubling, up to 25 % jitter.
        await this.sleep(500 * 2 ** attempt * (1 - Math.random() * 0.25));
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
      if (status === 429) {
        this.metrics.upstream('llm', 'throttled');
        const headers = Object.fromEntries(err.headers?.entries() ?? []);
        throw new UpstreamRateLimited('llm', retryAfterMs(headers, 10_000), `llm ${route} throttled`);
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
