// A fresh draftbridge process (API and workers, as `serve all`) for `draftbridge bench`'s in-flight
// memory figure: pushes N callback webhooks with the draft stage's concurrency at N, samples RSS and
// the active draft jobs until every draft is done, and prints one JSON line (InflightResult).
import { createPorts } from '../../connectors/index.ts';
import { startWorkers } from '../../workers/index.ts';
import { createAppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import { createLogger } from '../../src/logger.ts';
import { prometheusConnectorMetrics } from '../../src/metrics.ts';
import type { Policy } from '../../src/policy.ts';
import type { Settings } from '../../src/settings.ts';
import type { InflightResult } from './inflight.ts';
import { deliver, hubspotEvent, round } from './events.ts';

// The simulator CA comes in through NODE_EXTRA_CA_CERTS (inflight.ts).
const input = JSON.parse(process.env.DRAFTBRIDGE_BENCH_INFLIGHT ?? '{}') as {
  settings: Settings;
  policy: Policy;
  requests: number;
};
const n = input.requests;
const ctx = createAppContext(input.settings, input.policy, { logger: createLogger({ level: 'silent' }) });
await ctx.ready();
const app = await buildServer(ctx);
// The draft stage's concurrency at N: an LLM call is I/O, so every request may wait on its call at once.
await startWorkers(
  ctx,
  await createPorts(ctx.settings, input.policy, prometheusConnectorMetrics),
  {},
  { intake: 16, draft: n },
);
await new Promise((r) => setTimeout(r, 500));
const mb = () => process.memoryUsage().rss / 1024 / 1024;
const rssMbStart = mb();
let rssMbPeak = rssMbStart;
let inflightPeak = 0;
let atPeak = process.memoryUsage();
const rssTimer = setInterval(() => {
  const m = process.memoryUsage();
  if (m.rss / 1024 / 1024 > rssMbPeak) {
    rssMbPeak = m.rss / 1024 / 1024;
    atPeak = m;
  }
}, 20);
const t0 = performance.now();
for (let i = 0; i < n; i += 100) {
  const batch = Array.from({ length: Math.min(100, n - i) }, (_, k) =>
    hubspotEvent(['1001', '1002'][(i + k) % 2]!, 5_000_000 + i + k),
  );
  const status = await deliver(app, ctx.settings.publicUrl, batch);
  if (status !== 204) throw new Error(`webhook answered ${status}`);
}
let heapMbLive = Number.NaN;
for (;;) {
  const counts = await ctx.queues.draft.getJobCounts('active', 'completed', 'failed');
  inflightPeak = Math.max(inflightPeak, counts.active ?? 0);
  // Live heap with every call in flight: one full collection (inflight.ts passes --expose-gc) once
  // all are waiting, so the figure is what the in-flight work holds, not garbage V8 has yet to collect.
  if (Number.isNaN(heapMbLive) && (counts.active ?? 0) >= n) {
    await new Promise((r) => setTimeout(r, 1_000));
    (globalThis as { gc?: () => void }).gc?.();
    heapMbLive = round(process.memoryUsage().heapUsed / 1024 / 1024);
  }
  if ((counts.completed ?? 0) + (counts.failed ?? 0) >= n) break;
  await new Promise((r) => setTimeout(r, 100));
}
clearInterval(rssTimer);
const result: InflightResult = {
  rssMbStart: round(rssMbStart),
  rssMbPeak: round(rssMbPeak),
  heapMbAtPeak: round(atPeak.heapUsed / 1024 / 1024),
  externalMbAtPeak: round(atPeak.external / 1024 / 1024),
  heapMbLive,
  inflightPeak,
  ms: round(performance.now() - t0),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
