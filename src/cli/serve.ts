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
import { configProblems } from './doctor/service.ts';

export type ServeRole = 'api' | 'worker' | 'all';

export interface RunningService {
  ctx: AppContext;
  server?: FastifyInstance;
  stop(): Promise<void>;
}

/** The one line at start: which CRM, mail system and LLM routes, where /ops is, and the demo in the sandbox. */
export function startupSummary(
  settings: Settings,
  role: ServeRole,
): { line: string; fields: Record<string, unknown> } {
  const routes = [
    ...(settings.AZURE_OPENAI_ENDPOINT || settings.DRAFTBRIDGE_SANDBOX
      ? [
          `eu (${settings.DRAFTBRIDGE_SANDBOX ? 'simulated Azure OpenAI' : `Azure OpenAI ${settings.AZURE_OPENAI_REGION ?? '?'}`})`,
        ]
      : []),
    ...(settings.LOCAL_LLM_BASE_URL || settings.DRAFTBRIDGE_SANDBOX
      ? [`local (${settings.DRAFTBRIDGE_SANDBOX ? 'simulated' : settings.LOCAL_LLM_MODEL})`]
      : []),
  ];
  const mail = settings.DRAFTBRIDGE_MAIL === 'graph' ? 'Outlook (Microsoft Graph)' : 'Gmail';
  const ops = role === 'worker' ? 'no HTTP in this process' : `${settings.publicUrl}/ops`;
  const demo = settings.DRAFTBRIDGE_SANDBOX
    ? `; sandbox: try \`npx draftbridge demo --contact 1001${settings.DRAFTBRIDGE_CRM === 'hubspot' ? '' : ` --crm ${settings.DRAFTBRIDGE_CRM}`}\``
    : '';
  const line = `draftbridge started (${role}): CRM ${settings.DRAFTBRIDGE_CRM}, mail ${mail}, LLM ${routes.join(', ') || 'none'}; ops ${ops}${demo}`;
  return {
    line,
    fields: { crm: settings.DRAFTBRIDGE_CRM, mail: settings.DRAFTBRIDGE_MAIL, llmRoutes: routes, ops },
  };
}

/**
 * What joins the process besides the core routes: workers and extra route plugins, each made from the
 * context once it exists (so nothing has to hold a reference before it is built).
 */
export interface ServiceParts {
  startWorkers?: (ctx: AppContext) => Promise<{ close(): Promise<void> }>;
  httpPlugins?: ((ctx: AppContext) => (app: FastifyInstance) => Promise<void>)[];
}

export async function startService(
  settings: Settings,
  policy: Policy,
  role: ServeRole,
  parts: ServiceParts = {},
): Promise<RunningService> {
  const ctx = createAppContext(settings, policy);
  try {
    await ctx.ready();
  } catch {
    // Keep starting: /readyz says 503 and webhooks get 503 (HubSpot retries) until Redis answers.
    ctx.logger.warn(
      { redis: redactUrl(settings.REDIS_URL) },
      'Redis not reachable yet; serving 503 until it is',
    );
  }
  let server: FastifyInstance | undefined;
  let workers: { close(): Promise<void> } | undefined;
  if (role === 'api' || role === 'all') {
    server = await buildServer(
      ctx,
      (parts.httpPlugins ?? []).map((plugin) => plugin(ctx)),
    );
    await server.listen({ port: settings.PORT, host: settings.HOST });
  }
  if ((role === 'worker' || role === 'all') && parts.startWorkers) {
    workers = await parts.startWorkers(ctx);
  }
  const summary = startupSummary(settings, role);
  ctx.logger.info(
    {
      role,
      publicUrl: settings.publicUrl,
      prefix: settings.DRAFTBRIDGE_QUEUE_PREFIX,
      sandbox: settings.DRAFTBRIDGE_SANDBOX,
      ...summary.fields,
    },
    summary.line,
  );
  for (const p of configProblems({ settings, policy }))
    ctx.logger.warn(
      { setting: p.setting },
      `${p.name}: ${p.detail} (set ${p.setting}; \`draftbridge doctor\` checks everything)`,
    );
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
    return {
      ...service,
      stop: async () => {
        await service.stop();
        quotas.close();
      },
    };
  }
  // Test doubles load only here: a real deployment (and its production install) never imports them.
  const { startSandbox } = await import('../../sandbox/index.ts');
  const { sandboxRoutes } = await import('../../sandbox/routes.ts');
  const sandbox = await startSandbox(settings, {
    oidcInService: true,
    llmRoutes: llmRouteProviders(settings, policy),
  });
  const ports = await createPorts(sandbox.settings, policy, prometheusConnectorMetrics, quotas.budget);
  const service = await startService(sandbox.settings, policy, role, {
    startWorkers: (ctx) => startWorkers(ctx, ports),
    httpPlugins: [
      (ctx) => async (app) => app.register(sandboxRoutes(ctx, sandbox)),
      (ctx) => async (app) => app.register(privacyRoutes(ctx, ports.crm)),
    ],
  });
  const crmSim = sandbox.salesforce?.url ?? sandbox.dynamics?.url ?? sandbox.hubspot.url;
  service.ctx.logger.info(
    {
      [settings.DRAFTBRIDGE_CRM]: crmSim,
      [sandbox.mail]: sandbox.gmail?.url ?? sandbox.ews?.url ?? sandbox.graph.url,
      llm: sandbox.llm.url,
    },
    'sandbox simulators running (invented data only)',
  );
  return {
    ...service,
    stop: async () => {
      await service.stop();
      await sandbox.close();
      quotas.close();
    },
  };
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
