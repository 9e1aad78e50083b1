import type { AppContext } from '../app.ts';
import { keysFor } from '../keys.ts';
import type { LlmRoute } from '../policy.ts';

/**
 * /readyz: ready when the service can take and queue work (Redis answers, the policy is loaded).
 * The LLM routes' shared circuits (src/pipeline/llm-circuit.ts, in Redis) are reported with it: an
 * open circuit means drafts fall back to templates, so the answer stays 200 but says `degraded`.
 * CRM and mail have no shared circuit yet: their state is `unknown` here (`draftbridge doctor` checks them).
 */
export async function readiness(ctx: AppContext): Promise<{ ready: boolean; body: Record<string, unknown> }> {
  const started = Date.now();
  let redis: { ok: boolean; latencyMs?: number; error?: string };
  try {
    redis = { ok: (await withTimeout(ctx.redis.ping(), 2000)) === 'PONG', latencyMs: Date.now() - started };
  } catch (err) {
    redis = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const llm: Partial<Record<LlmRoute, string>> = {};
  if (redis.ok) {
    const keys = keysFor(ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX);
    for (const route of configuredRoutes(ctx))
      llm[route] = (await ctx.redis.exists(keys.circuit(route).open)) ? 'open' : 'closed';
  }
  const policy = ctx.policy !== undefined;
  const ready = redis.ok && policy;
  const degraded = Object.values(llm).includes('open');
  return {
    ready,
    body: {
      status: !ready ? 'not ready' : degraded ? 'degraded' : 'ready',
      checks: { redis: redis.ok, policy },
      dependencies: {
        redis,
        llm,
        crm: { system: ctx.settings.DRAFTBRIDGE_CRM, state: 'unknown' },
        mail: { system: ctx.settings.DRAFTBRIDGE_MAIL, state: 'unknown' },
      },
    },
  };
}

function configuredRoutes(ctx: AppContext): LlmRoute[] {
  const s = ctx.settings;
  return [
    ...(s.AZURE_OPENAI_ENDPOINT || s.DRAFTBRIDGE_SANDBOX ? (['eu'] as const) : []),
    ...(s.LOCAL_LLM_BASE_URL || s.DRAFTBRIDGE_SANDBOX ? (['local'] as const) : []),
  ];
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
