import type { FastifyInstance } from 'fastify';
import { createAppContext, type AppContext } from '../app.ts';
import { buildServer } from '../http/server.ts';
import { llmRouteProviders } from '../llm-residency.ts';
import { prometheusConnectorMetrics } from '../metrics.ts';
import type { Policy } from '../policy.ts';
import { sharedRateBudget } from '../rate-budget.ts';
import type { Settings } from '../settings.ts';
import { createPorts } from '../../connectors/index.ts';
import { startWorkers } from '../../workers/index.ts';
import { privacyRoutes } from '../http/privacy-routes.ts';

export type ServeRole = 'api' | 'worker' | 'all';

export interface RunningService {
  ctx: AppContext;
  server?: FastifyInstance;
  stop(): Promise<void>;
}

/**
 * What joins the process besides the core routes: workers and extra route plugins, each made from the
 * context once it exists (so nothing has to hold a reference before it is built).
 */
export interface ServiceParts {
  startWorkers?: (ctx: AppContext) => Promise<{ close(): Promise<void> }>;
  httpPlugins?: ((ctx: AppContext) => (app: FastifyInstance) => Promise<void>)[];
}

export async function startService(settings: Settings, policy: Policy, role: ServeRole, parts: ServiceParts = {}): Promise<RunningService> {
  const ctx = createAppContext(settings, policy);
  try {
    await ctx.ready();
  } catch {
    // Keep starting: /readyz says 503 and webhooks get 503 (HubSpot retries) until Redis answers.
    ctx.logger.warn({ redis: redactUrl(settings.REDIS_URL) }, 'Redis not reachable yet; serving 503 until it is');
  }
  let server: FastifyInstance | undefined;
  let workers: { close(): Promise<void> } | undefined;
  if (role === 'api' || role === 'all') {
    server = await buildServer(ctx, (parts.httpPlugins ?? []).map((plugin) => plugin(ctx)));
    await server.listen({ port: settings.PORT, host: settings.HOST });
  }
  if ((role === 'worker' || role === 'all') && parts.startWorkers) {
    workers = await parts.startWorkers(ctx);
  }
  ctx.logger.info({ role, publicUrl: settings.publicUrl, prefix: settings.DRAFTBRIDGE_QUEUE_PREFIX, sandbox: settings.DRAFTBRIDGE_SANDBOX }, 'draftbridge started');
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // Order matters: stop taking webhooks, let workers finish (or hand back) in-flight jobs, then Redis.
      await server?.close();
      await workers?.close();
      await ctx.close();
    })());
  return { ctx, ...(server ? { server } : {}), stop };
}

/**
 * `draftbridge serve`: the real connectors, or in sandbox mode the in-process simulators. Workers get
 * their ports here so the core never knows which systems are behind them.
 */
export async function serve(settings: Settings, policy: Policy, role: ServeRole): Promise<RunningService> {
  // HubSpot's and the LLM deployment's quotas, shared with every other process of the deployment.
  const quotas = sharedRateBudget(settings.REDIS_URL, settings.DRAFTBRIDGE_QUEUE_PREFIX);
  if (!settings.DRAFTBRIDGE_SANDBOX) {
    const ports = await createPorts(settings, policy, prometheusConnectorMetrics, quotas.budget);
    const service = await startService(settings, policy, role, {
      startWorkers: (ctx) => startWorkers(ctx, ports),
      httpPlugins: [(ctx) => async (app) => app.register(privacyRoutes(ctx, ports.crm))],
    });
    return { ...service, stop: async () => { await service.stop(); quotas.close(); } };
  }
  // Test doubles load only here: a real deployment (and its production install) never imports them.
  const { startSandbox } = await import('../../sandbox/index.ts');
  const { sandboxRoutes } = await import('../../sandbox/routes.ts');
  const sandbox = await startSandbox(settings, { oidcInService: true, llmRoutes: llmRouteProviders(settings, policy) });
  const ports = await createPorts(sandbox.settings, policy, prometheusConnectorMetrics, quotas.budget);
  const service = await startService(sandbox.settings, policy, role, {
    startWorkers: (ctx) => startWorkers(ctx, ports),
    httpPlugins: [(ctx) => async (app) => app.register(sandboxRoutes(ctx, sandbox)), (ctx) => async (app) => app.register(privacyRoutes(ctx, ports.crm))],
  });
  service.ctx.logger.info({ hubspot: sandbox.hubspot.url, [sandbox.mail]: sandbox.gmail?.url ?? sandbox.ews?.url ?? sandbox.graph.url, llm: sandbox.llm.url }, 'sandbox simulators running (invented data only)');
  return { ...service, stop: async () => { await service.stop(); await sandbox.close(); quotas.close(); } };
}

/** SIGTERM/SIGINT: graceful stop; a second signal forces exit. */
export function stopOnSignals(service: RunningService): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    service.ctx.logger.info({ signal }, 'shutting down: finishing in-flight jobs');
    service.stop().then(
      () => process.exit(0),
      (err: Error) => {
        service.ctx.logger.error({ err: { message: err.message } }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}

function redactUrl(url: string): string {
  // Not `new URL`: a cluster URL's comma-separated host list is no WHATWG host.
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}
