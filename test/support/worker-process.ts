// A worker process for crash tests: the real workers against the sandbox simulators the parent runs.
import { createPorts } from '../../connectors/index.ts';
import { createAppContext } from '../../src/app.ts';
import { prometheusConnectorMetrics } from '../../src/metrics.ts';
import { sharedRateBudget } from '../../src/rate-budget.ts';
import { loadSettings } from '../../src/settings.ts';
import { startWorkers } from '../../workers/index.ts';
import { defaultPolicy } from './env.ts';

const base = defaultPolicy();
const policy = {
  ...base,
  defaults: { ...base.defaults, jobs: { attempts: 5, backoffMs: 50 }, openRequestWindow: 0 },
};
const settings = loadSettings(process.env);
const ctx = createAppContext(settings, policy);
await ctx.ready();
await startWorkers(
  ctx,
  await createPorts(
    settings,
    policy,
    prometheusConnectorMetrics,
    sharedRateBudget(settings.REDIS_URL, settings.DRAFTBRIDGE_QUEUE_PREFIX).budget,
  ),
  { lockDurationMs: 3000, stalledIntervalMs: 1000 },
);
process.stdout.write('ready\n');
