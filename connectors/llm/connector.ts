import type { z } from 'zod';
import {
  LeakBlocked,
  networkReason,
  UpstreamRateLimited,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../../src/errors.ts';
import { routeProvider, type LlmProvider, type Policy, type RouteBudget } from '../../src/policy.ts';
import {
  EmailDraft,
  NO_CONNECTOR_METRICS,
  type ConnectorMetrics,
  type LlmDraftOutcome,
  type LlmDraftRequest,
  type LlmExtractRequest,
  type LlmPort,
  type LlmRouteName,
  type RateBudget,
  type RateBudgetSpec,
  type RateTicket,
} from '../../src/ports.ts';
import { loadServiceAccountKey } from '../../src/gmail-key.ts';
import type { Settings } from '../../src/settings.ts';
import { azureClient, localClient, type AzureDeployment } from './azure/connector.ts';
import { outputSchema, ProviderError, type LlmProviderClient, type OutputSchema } from './provider.ts';

/**
 * LlmPort over one provider client per route (connectors/llm/<provider>/connector.ts: Azure OpenAI,
 * AWS Bedrock, Google Vertex AI, OpenAI EU, Mistral, a local model). Every request first passes the
 * job's leak guard (fail closed), then is scheduled against the route's quota, shared by all
 * processes (RateBudget); the answer is validated against the one EmailDraft schema, whoever drafted.
 *
 * Quota accounting follows Azure's documented rule (Azure OpenAI "quota" how-to, "rate limits"): at
 * admission a request counts its estimated prompt tokens plus max_tokens against TPM, and RPM is
 * enforced over short windows, here RPM/6 per 10 s. So a booking weighs prompt estimate + max tokens,
 * and `usage` corrects only the prompt part. Bedrock also reserves max_tokens at admission; for the
 * other providers this is the cautious side (set the route's quota to what the provider grants).
 */

interface Route {
  client: LlmProviderClient;
  quota: RateBudgetSpec;
  timeoutMs: number;
}

/** Longest a draft waits for its booked slot in process; further out, the queue pauses instead. */
const MAX_BOOKING_WAIT_MS = 60_000;
/** 429s from the provider despite the budget (another client on the deployment) honoured in process before the queue pauses. */
const THROTTLE_RETRIES = 2;
const MAX_IN_PROCESS_RETRY_AFTER_MS = 20_000;
/** A 429 without Retry-After (Bedrock's ThrottlingException, Vertex's RESOURCE_EXHAUSTED): 2 s, 4 s … with jitter. */
const THROTTLE_BACKOFF_MS = 2_000;

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
  /** One provider client per route (see `clientsFromSettings`). */
  routes?: Partial<Record<LlmRouteName, LlmProviderClient>>;
  /** Shorthands: an Azure deployment for `eu`, an OpenAI-compatible model for `local`. */
  eu?: AzureDeployment;
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

/** The settings an operator checks when a provider cannot be reached or refuses the call. */
const PROVIDER_SETTINGS: Record<LlmProvider, { endpoint: string; credentials: string; model: string }> = {
  azure: {
    endpoint: 'AZURE_OPENAI_ENDPOINT',
    credentials: 'AZURE_OPENAI_API_KEY',
    model: 'AZURE_OPENAI_DEPLOYMENT',
  },
  local: { endpoint: 'LOCAL_LLM_BASE_URL', credentials: 'LOCAL_LLM_BASE_URL', model: 'LOCAL_LLM_MODEL' },
  bedrock: {
    endpoint: 'AWS_REGION (or BEDROCK_ENDPOINT_URL)',
    credentials: 'the AWS credentials',
    model: 'BEDROCK_MODEL_ID',
  },
  vertex: {
    endpoint: 'VERTEX_LOCATION (or VERTEX_BASE_URL)',
    credentials: 'GOOGLE_APPLICATION_CREDENTIALS',
    model: 'VERTEX_MODEL',
  },
  openai: {
    endpoint: 'OPENAI_BASE_URL',
    credentials: 'OPENAI_API_KEY / OPENAI_PROJECT',
    model: 'OPENAI_MODEL',
  },
  mistral: { endpoint: 'MISTRAL_BASE_URL', credentials: 'MISTRAL_API_KEY', model: 'MISTRAL_MODEL' },
};

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
    const clients: Partial<Record<LlmRouteName, LlmProviderClient>> = {
      ...(options.eu ? { eu: azureClient(options.eu, options.budgets.eu.timeoutMs) } : {}),
      ...(options.local ? { local: localClient(options.local, options.budgets.local.timeoutMs) } : {}),
      ...options.routes,
    };
    for (const [route, client] of Object.entries(clients) as [LlmRouteName, LlmProviderClient][]) {
      const b = options.budgets[route];
      this.routes.set(route, { client, quota: quotaOf(route, b), timeoutMs: b.timeoutMs });
    }
  }

  /** Which provider serves each configured route, and where (the demo and logs print it). */
  describe(): { route: LlmRouteName; provider: LlmProvider; model: string; region: string | null }[] {
    return [...this.routes].map(([route, r]) => ({
      route,
      provider: r.client.provider,
      model: r.client.model,
      region: r.client.region,
    }));
  }

  static async fromSettings(
    settings: Settings,
    policy: Policy,
    metrics?: ConnectorMetrics,
    rateBudget?: RateBudget,
  ): Promise<DraftingLlm> {
    return new DraftingLlm({
      ...(metrics ? { metrics } : {}),
      ...(rateBudget ? { rateBudget } : {}),
      routes: await clientsFromSettings(settings, policy),
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
      const { answer, ticket } = await this.complete(route, request);
      this.metrics.upstream('llm', 'ok');
      const usage = answer.usage ?? { promptTokens: 0, completionTokens: 0 };
      // What the provider counted at admission: its prompt count (now known) plus max tokens.
      // (A correction lost to a Redis hiccup only leaves the estimate in place: never fail the draft for it.)
      if (ticket && answer.usage)
        await this.rateBudget
          ?.settle(ticket, { weight: usage.promptTokens + this.maxCompletionTokens })
          .catch(() => undefined);
      this.metrics.llmTokens(request.route, 'prompt', usage.promptTokens);
      this.metrics.llmTokens(request.route, 'completion', usage.completionTokens);
      const parsed = EmailDraft.safeParse(answer.output);
      if (!parsed.success)
        throw new ProviderError(
          'unusable',
          answer.output == null
            ? 'answer without structured content'
            : 'answer does not match the draft schema',
        );
      return { kind: 'drafted', draft: parsed.data, usage, model: answer.model };
    } catch (err) {
      return this.outcomeOf(err, route.client, request.route);
    }
  }

  /**
   * A structured answer of another shape on the route (the reply reader's), under the same leak guard,
   * quota booking, retries and throttling as `draft`. Fails (UpstreamUnavailable) rather than guess:
   * the caller falls back to its rules.
   */
  async extract<T>(request: LlmExtractRequest<T>): Promise<T> {
    const findings = [...request.guard(request.system), ...request.guard(request.user)];
    if (findings.length > 0) {
      for (const type of findings) this.metrics.leakGuardRefusal(type);
      throw new LeakBlocked(findings);
    }
    const route = this.routes.get(request.route);
    if (!route) throw new UpstreamRejected('llm', 503, `LLM route "${request.route}" is not configured`);
    try {
      const { answer } = await this.complete(
        route,
        request,
        outputSchema(request.schemaName, request.schema as z.ZodType),
        0,
      );
      this.metrics.upstream('llm', 'ok');
      const parsed = (request.schema as z.ZodType<T>).safeParse(answer.output);
      if (!parsed.success) throw new ProviderError('unusable', 'answer does not match the schema');
      return parsed.data;
    } catch (err) {
      if (err instanceof UpstreamRateLimited) throw err;
      const kind = err instanceof ProviderError ? err.kind : 'error';
      throw new UpstreamUnavailable(
        'llm',
        `llm ${request.route} (${route.client.provider}): no structured answer (${kind})`,
      );
    }
  }

  /**
   * Waits for the booked slot in the shared quota; refuses (the queue pauses) when it is further out
   * than MAX_BOOKING_WAIT_MS.
   */
  private async book(
    route: Route,
    request: Pick<LlmDraftRequest, 'system' | 'user' | 'route'>,
  ): Promise<RateTicket | undefined> {
    if (!this.rateBudget) return undefined;
    const estimate = Math.ceil((request.system.length + request.user.length) / 4) + this.maxCompletionTokens;
    const grant = await this.rateBudget.reserve(route.quota, estimate, MAX_BOOKING_WAIT_MS);
    if (!grant.granted)
      throw new UpstreamRateLimited(
        'llm',
        Math.max(1_000, grant.waitMs - MAX_BOOKING_WAIT_MS),
        `llm route ${request.route} quota booked ahead`,
      );
    if (grant.waitMs > 0) await this.sleep(grant.waitMs);
    return grant.ticket;
  }

  /**
   * One completion in a booked slot. Transient failures are retried up to `maxRetries` times with
   * exponential backoff; a 429 (someone else used the provider's quota too) waits its Retry-After
   * (or backs off where the provider gives none) and books again, up to THROTTLE_RETRIES times,
   * before the queue pauses. Each retry is a new booking.
   */
  private async complete(
    route: Route,
    request: Pick<LlmDraftRequest, 'system' | 'user' | 'route'>,
    output?: OutputSchema,
    temperature?: number,
  ) {
    let throttled = 0;
    for (let attempt = 0; ;) {
      const ticket = await this.book(route, request);
      // A busy process sends later than booked: later bookings count from when it really went.
      if (ticket) void this.rateBudget?.settle(ticket, { restamp: true }).catch(() => undefined);
      try {
        const call = {
          system: request.system,
          user: request.user,
          maxTokens: this.maxCompletionTokens,
          timeoutMs: route.timeoutMs,
        };
        const answer = await route.client.complete({
          ...call,
          ...(output ? { output } : {}),
          ...(temperature !== undefined ? { temperature } : {}),
        });
        return { answer, ticket };
      } catch (err) {
        if (err instanceof ProviderError && err.kind === 'throttled') {
          this.metrics.upstream('llm', 'throttled');
          const wait = err.retryAfterMs ?? THROTTLE_BACKOFF_MS * 2 ** throttled * (1 + Math.random() * 0.25);
          // A refused request did not count against the provider's quota: its booking goes back.
          if (ticket) await this.rateBudget?.release(ticket).catch(() => undefined);
          if (throttled >= THROTTLE_RETRIES || wait > MAX_IN_PROCESS_RETRY_AFTER_MS)
            throw new UpstreamRateLimited(
              'llm',
              Math.ceil(wait),
              `llm ${request.route} (${route.client.provider}) throttled`,
            );
          throttled++;
          await this.sleep(wait);
          continue;
        }
        if (attempt >= this.maxRetries || !(err instanceof ProviderError) || err.kind !== 'transient')
          throw err;
        // The openai SDK's schedule: 0.5 s doubling, up to 25 % jitter.
        await this.sleep(500 * 2 ** attempt * (1 - Math.random() * 0.25));
        attempt++;
      }
    }
  }

  private outcomeOf(err: unknown, client: LlmProviderClient, route: LlmRouteName): LlmDraftOutcome {
    if (err instanceof UpstreamRateLimited) throw err;
    const where = `llm ${route} (${client.provider})`;
    if (!(err instanceof ProviderError)) {
      this.metrics.upstream('llm', 'error');
      throw new UpstreamUnavailable(
        'llm',
        `${where}: unusable answer (${err instanceof Error ? err.message.slice(0, 80) : 'unknown'})`,
        undefined,
        { cause: err },
      );
    }
    switch (err.kind) {
      case 'truncated':
        return { kind: 'truncated' };
      case 'filtered':
        this.metrics.upstream('llm', 'filtered');
        return { kind: 'content_filtered', categories: err.categories };
      case 'rejected': {
        this.metrics.upstream('llm', 'rejected');
        const check =
          err.status === 401 || err.status === 403
            ? PROVIDER_SETTINGS[client.provider].credentials
            : PROVIDER_SETTINGS[client.provider].model;
        throw new UpstreamRejected(
          'llm',
          err.status ?? 400,
          `${where} refused with ${err.status ?? 400}: check ${check}`,
        );
      }
      case 'unusable':
        this.metrics.upstream('llm', 'error');
        throw new UpstreamUnavailable('llm', `${where}: ${err.message}`, undefined, { cause: err });
      default:
        this.metrics.upstream('llm', 'error');
        throw new UpstreamUnavailable(
          'llm',
          `${where} failed${err.status ? ` with ${err.status}` : `: ${networkReason(err) ?? err.message}`}; ` +
            `check ${PROVIDER_SETTINGS[client.provider].endpoint} and that its host is reachable from here (draftbridge doctor)`,
          err.status,
          { cause: err },
        );
    }
  }
}

/**
 * The provider client for each route the policy names (DRAFTBRIDGE_LLM where it names none). The
 * Bedrock, Vertex and Mistral SDKs load only when a route uses them.
 */
export async function clientsFromSettings(
  settings: Settings,
  policy: Policy,
): Promise<Partial<Record<LlmRouteName, LlmProviderClient>>> {
  const clients: Partial<Record<LlmRouteName, LlmProviderClient>> = {};
  for (const route of ['eu', 'local'] as const) {
    const client = await clientFor(
      routeProvider(policy, route, settings.DRAFTBRIDGE_LLM),
      settings,
      policy.llm.routes[route].timeoutMs,
    );
    if (client) clients[route] = client;
  }
  return clients;
}

/** undefined when the provider's settings are missing (the route then answers "not configured"). */
export async function clientFor(
  provider: LlmProvider,
  s: Settings,
  timeoutMs: number,
): Promise<LlmProviderClient | undefined> {
  switch (provider) {
    case 'azure':
      if (!s.AZURE_OPENAI_ENDPOINT || !s.AZURE_OPENAI_DEPLOYMENT) return undefined;
      return azureClient(
        {
          endpoint: s.AZURE_OPENAI_ENDPOINT,
          apiKey: s.AZURE_OPENAI_API_KEY ?? '',
          apiVersion: s.AZURE_OPENAI_API_VERSION,
          deployment: s.AZURE_OPENAI_DEPLOYMENT,
          ...(s.AZURE_OPENAI_REGION ? { region: s.AZURE_OPENAI_REGION } : {}),
        },
        timeoutMs,
      );
    case 'local':
      if (!s.LOCAL_LLM_BASE_URL || !s.LOCAL_LLM_MODEL) return undefined;
      return localClient({ baseURL: s.LOCAL_LLM_BASE_URL, model: s.LOCAL_LLM_MODEL }, timeoutMs);
    case 'bedrock': {
      if (!s.AWS_REGION || !s.BEDROCK_MODEL_ID) return undefined;
      const { BedrockClient } = await import('./bedrock/connector.ts');
      return new BedrockClient({
        region: s.AWS_REGION,
        modelId: s.BEDROCK_MODEL_ID,
        ...(s.BEDROCK_ENDPOINT_URL ? { endpoint: s.BEDROCK_ENDPOINT_URL } : {}),
      });
    }
    case 'openai': {
      if (!s.OPENAI_API_KEY || !s.OPENAI_MODEL) return undefined;
      const { openAiEuClient } = await import('./openai/connector.ts');
      return openAiEuClient(
        {
          apiKey: s.OPENAI_API_KEY,
          model: s.OPENAI_MODEL,
          baseURL: s.OPENAI_BASE_URL,
          ...(s.OPENAI_PROJECT ? { project: s.OPENAI_PROJECT } : {}),
        },
        timeoutMs,
      );
    }
    case 'mistral': {
      if (!s.MISTRAL_API_KEY || !s.MISTRAL_MODEL) return undefined;
      const { MistralClient } = await import('./mistral/connector.ts');
      return new MistralClient({
        apiKey: s.MISTRAL_API_KEY,
        model: s.MISTRAL_MODEL,
        serverURL: s.MISTRAL_BASE_URL,
      });
    }
    case 'vertex': {
      if (!s.GOOGLE_CLOUD_PROJECT || !s.VERTEX_LOCATION || !s.VERTEX_MODEL) return undefined;
      const { VertexClient } = await import('./vertex/connector.ts');
      const key = s.GOOGLE_APPLICATION_CREDENTIALS
        ? loadServiceAccountKey(s.GOOGLE_APPLICATION_CREDENTIALS)
        : undefined;
      return new VertexClient({
        project: s.GOOGLE_CLOUD_PROJECT,
        location: s.VERTEX_LOCATION,
        model: s.VERTEX_MODEL,
        ...(s.VERTEX_BASE_URL ? { baseUrl: s.VERTEX_BASE_URL } : {}),
        ...(key ? { key } : {}),
        tokenUrl: s.GOOGLE_TOKEN_URL,
      });
    }
    default:
      return undefined;
  }
}
