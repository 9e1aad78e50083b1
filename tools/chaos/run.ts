import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { parse, stringify } from 'yaml';
import { createAppContext } from '../../src/app.ts';
import { signV3 } from '../../connectors/hubspot/signature.ts';
import { createLogger } from '../../src/logger.ts';
import { TERMINAL_STATES, type RequestState } from '../../src/pipeline/request-state.ts';
import { parsePolicy } from '../../src/policy.ts';
import {
  SANDBOX_CONTACTS,
  SANDBOX_HUBSPOT_SECRET,
  SANDBOX_OWNERS,
  SANDBOX_PORTAL_ID,
} from '../../sandbox/index.ts';
import { loadSettings, type Settings } from '../../src/settings.ts';
import { hubspotEvent, round, startSimulatorProcess, type SimulatorProcess } from '../bench/support.ts';
import { chaosContacts, PersonalValueIndex, seededRandom, type ChaosContact } from './contacts.ts';
import { PrivateRedis, freePort } from './private-redis.ts';
import type { SimulatorReport } from './simulator-process.ts';

/**
 * `draftbridge chaos`: the service as separate processes (one API, 2+ workers, `node src/cli.ts serve
 * ...`) on a private Redis with AOF, against the simulators in their own process, under sustained
 * faults: signed webhooks (callbacks, new leads, ~5% redelivered, opted-out and sensitive contacts),
 * a SIGKILLed worker every 20–40 s replaced by a new one, one Redis SHUTDOWN and restart on the same
 * AOF, and ~10% of every simulator's answers 429, 5xx or a timeout. After a drain it counts from the
 * simulators' records, Redis and the audit trail.
 */
export interface ChaosOptions {
  events: number;
  durationS: number;
  /** Worker SIGKILLs at most (every 20–40 s while events are fired). */
  kills: number;
  workers: number;
  redisRestart: boolean;
  drainS: number;
  seed: number;
  faultRate: number;
  redeliveryRate: number;
  onProgress?: (line: string) => void;
}

export const CHAOS_DEFAULTS: ChaosOptions = {
  events: 5000,
  durationS: 300,
  kills: 100,
  workers: 2,
  redisRestart: true,
  drainS: 240,
  seed: 1,
  faultRate: 0.1,
  redeliveryRate: 0.05,
};

export interface ChaosResult {
  events: number;
  /** Accepted events whose request reached exactly one terminal state. */
  terminal: number;
  /** Extra drafts or sent mails beyond one per request. */
  duplicates: number;
  /** Accepted with 2xx, no terminal state after the drain. */
  lost: number;
  pii_hits: number;
  audit_ok: boolean;
  p50_ms: number;
  p95_ms: number;
  accepted: number;
  never_accepted: number;
  redeliveries: number;
  deliveries: number;
  deliveries_retried: number;
  multi_terminal: number;
  states: Record<string, number>;
  kills: number;
  redis_restarts: number;
  faults_injected: number;
  simulator_calls: number;
  log_lines: number;
  log_pii_hits: number;
  llm_requests: number;
  llm_pii_hits: number;
  audit_events: number;
  drain_s: number;
  duration_s: number;
  machine: string;
}

interface PlannedEvent {
  contact: ChaosContact;
  eventId: number;
  requestId: string;
  firstSentAt?: number;
  acceptedAt?: number;
}

const PREFIX = 'chaos';

export async function runChaos(
  basePolicyPath: string,
  input: Partial<ChaosOptions> = {},
): Promise<ChaosResult> {
  const o: ChaosOptions = { ...CHAOS_DEFAULTS, ...input };
  const progress = o.onProgress ?? (() => undefined);
  const started = Date.now();
  const random = seededRandom(o.seed);
  const dir = await mkdtemp(join(tmpdir(), 'draftbridge-chaos-'));
  await mkdir(join(dir, 'redis'));
  const children = new Set<ChildProcess>();
  let redis: PrivateRedis | undefined;
  let sim: SimulatorProcess | undefined;
  // Ctrl-C or a kill: take the private Redis, the service processes and the data directory along.
  const abort = (signal: NodeJS.Signals) => {
    for (const c of children) c.kill('SIGKILL');
    sim?.child.kill('SIGKILL');
    void redis
      ?.stop()
      .finally(() =>
        rm(dir, { recursive: true, force: true }).finally(() =>
          process.exit(signal === 'SIGINT' ? 130 : 143),
        ),
      );
  };
  process.once('SIGINT', abort);
  process.once('SIGTERM', abort);
  try {
    redis = await PrivateRedis.start(join(dir, 'redis'));
    const port = await freePort();
    const base = loadSettings({
      REDIS_URL: redis.url,
      DRAFTBRIDGE_QUEUE_PREFIX: PREFIX,
      PORT: String(port),
      HOST: '127.0.0.1',
      DRAFTBRIDGE_SANDBOX: '1',
      LOG_LEVEL: 'silent',
    });
    const contactCount = Math.max(50, Math.min(1000, Math.ceil(o.events / 5)));
    sim = await startSimulatorProcess(base, {
      script: new URL('./simulator-process.ts', import.meta.url).pathname,
      ipc: true,
      env: {
        CHAOS_CONTACTS: String(contactCount),
        CHAOS_SEED: String(o.seed),
        CHAOS_FAULT_RATE: String(o.faultRate),
        CHAOS_TLS_DIR: join(dir, 'tls'),
      },
    });
    const contacts = chaosContacts(contactCount, o.seed);
    const index = new PersonalValueIndex();
    for (const c of [...contacts, ...SANDBOX_CONTACTS]) index.add(c.properties);
    for (const ow of SANDBOX_OWNERS)
      index.add({ firstname: ow.firstName, lastname: ow.lastName, email: ow.email });

    // The service runs with real settings (no sandbox): the simulators stand in for the vendors.
    const policyText = await chaosPolicy(basePolicyPath);
    const policy = parsePolicy(policyText, 'chaos policy');
    await writeFile(join(dir, 'policy.yaml'), policyText);
    await writeFile(join(dir, 'ca.pem'), sim.caPem);
    const keys = {
      DRAFTBRIDGE_VAULT_KEY: randomBytes(32).toString('base64'),
      DRAFTBRIDGE_AUDIT_KEY: randomBytes(32).toString('base64'),
    };
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
      LOG_LEVEL: 'info',
      DRAFTBRIDGE_POLICY: join(dir, 'policy.yaml'),
      ...keys,
    };
    // The simulators' endpoints and credentials; never over what is set above (the chaos policy: the
    // simulator's settings carry the default policy path, whose quotas would pace the run instead).
    for (const [k, v] of Object.entries(sim.settings)) {
      if (
        /^[A-Z0-9_]+$/.test(k) &&
        (typeof v === 'string' || typeof v === 'number') &&
        k !== 'DRAFTBRIDGE_SANDBOX' &&
        !(k in env)
      )
        env[k] = String(v);
    }
    const settings: Settings = loadSettings(env);

    const logs = { lines: 0, piiHits: 0, samples: [] as string[] };
    const spawnService = (role: 'api' | 'worker') => {
      const child = spawn(
        process.execPath,
        [new URL('../../src/cli.ts', import.meta.url).pathname, 'serve', role],
        { env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.add(child);
      child.once('exit', () => children.delete(child));
      const ready = new Promise<void>((resolve, reject) => {
        child.once('exit', (code, signal) =>
          reject(new Error(`${role} exited (${code ?? signal}) before it started`)),
        );
        for (const stream of [child.stdout!, child.stderr!]) {
          createInterface({ input: stream }).on('line', (line) => {
            logs.lines++;
            const hits = index.scan(line);
            if (hits.length > 0) {
              logs.piiHits += hits.length;
              // The kinds and the log message only, never the line (it holds the value).
              if (logs.samples.length < 5)
                logs.samples.push(`${role}: ${hits.join(',')} in "${messageOf(line)}"`);
            }
            if (line.includes('draftbridge started')) resolve();
          });
        }
      });
      ready.catch(() => undefined);
      return { child, ready };
    };

    const api = spawnService('api');
    await api.ready;
    let workers = await Promise.all(
      Array.from({ length: o.workers }, async () => {
        const w = spawnService('worker');
        await w.ready;
        return w.child;
      }),
    );
    progress(
      `service up: api + ${o.workers} workers on private Redis ${redis.url} (AOF in ${join(dir, 'redis')})`,
    );

    // The schedule: events spread evenly over the duration, ~5% redelivered 1–15 s later.
    const planned: PlannedEvent[] = Array.from({ length: o.events }, (_, i) => {
      const contact = contacts[Math.floor(random() * contacts.length)]!;
      const eventId = 50_000_000 + i;
      return { contact, eventId, requestId: `hs-${SANDBOX_PORTAL_ID}-${eventId}-${contact.id}` };
    });
    const byRequest = new Map(planned.map((p) => [p.requestId, p]));
    const counters = { deliveries: 0, retried: 0, redeliveries: 0, kills: 0, restarts: 0, neverAccepted: 0 };
    const t0 = Date.now();
    const durationMs = o.durationS * 1000;
    const deliveryDeadline = t0 + durationMs + 90_000;

    const deliver = async (batch: PlannedEvent[], attemptNumber: number): Promise<void> => {
      for (let attempt = 0; ; attempt++) {
        const sentAt = Date.now();
        for (const p of batch) p.firstSentAt ??= sentAt;
        const body = JSON.stringify(
          batch.map((p) =>
            hubspotEvent(p.contact.id, p.eventId, {
              lead: p.contact.kind === 'lead',
              attemptNumber: attemptNumber + attempt,
              occurredAt: p.firstSentAt,
            }),
          ),
        );
        counters.deliveries++;
        const status = await post(settings.publicUrl, body).catch(() => 0);
        if (status >= 200 && status < 300) {
          for (const p of batch) p.acceptedAt ??= Date.now();
          return;
        }
        counters.retried++;
        // HubSpot retries failed deliveries with backoff; so do we, until the deadline.
        if (Date.now() > deliveryDeadline) return;
        await sleep(Math.min(1000 * 2 ** attempt, 5_000) * (0.5 + random()));
      }
    };

    const inFlight = new Set<Promise<void>>();
    const track = (p: Promise<void>) => {
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };

    // Worker kills every 20–40 s while events are fired; the Redis restart once, a little after half-time.
    let firing = true;
    const killer = (async () => {
      while (firing && counters.kills < o.kills) {
        await sleepWhile(() => firing, 20_000 + random() * 20_000);
        if (!firing) break;
        const victim = workers[Math.floor(random() * workers.length)]!;
        victim.kill('SIGKILL');
        counters.kills++;
        const replacement = spawnService('worker');
        workers = [...workers.filter((w) => w !== victim), replacement.child];
        progress(`${secs(t0)}s: SIGKILL worker ${victim.pid}, started ${replacement.child.pid}`);
        await replacement.ready.catch((err: Error) => progress(`replacement worker failed: ${err.message}`));
      }
    })();
    const restarter = (async () => {
      if (!o.redisRestart) return;
      await sleepWhile(() => firing, durationMs * 0.55);
      progress(`${secs(t0)}s: Redis SHUTDOWN, restart on the same AOF`);
      await redis!.restart(2_000);
      counters.restarts++;
      progress(`${secs(t0)}s: Redis back`);
    })();

    const ticker = setInterval(() => {
      const accepted = planned.filter((p) => p.acceptedAt).length;
      progress(
        `${secs(t0)}s: ${planned.filter((p) => p.firstSentAt).length}/${o.events} sent, ${accepted} accepted, ${counters.kills} kills`,
      );
    }, 15_000);

    // Fire: each POST carries the events that are due (HubSpot batches events the same way).
    const dueAt = (i: number) => t0 + (i * durationMs) / planned.length;
    for (let i = 0; i < planned.length;) {
      const batch: PlannedEvent[] = [];
      while (i < planned.length && dueAt(i) <= Date.now() && batch.length < 20) batch.push(planned[i++]!);
      if (batch.length > 0) track(deliver(batch, 0));
      for (const p of batch) {
        if (random() < o.redeliveryRate) {
          counters.redeliveries++;
          track(sleep(1_000 + random() * 14_000).then(() => deliver([p], 1)));
        }
      }
      if (i < planned.length) await sleep(Math.max(5, dueAt(i) - Date.now()));
    }
    while (inFlight.size > 0) await Promise.race(inFlight);
    firing = false;
    await Promise.all([killer, restarter]);
    clearInterval(ticker);
    progress(`${secs(t0)}s: all events delivered; draining`);

    // Drain: until every accepted request is terminal and the queues are idle, or the drain time is up.
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 3 });
    const accepted = planned.filter((p) => p.acceptedAt);
    counters.neverAccepted = planned.length - accepted.length;
    const drainStart = Date.now();
    let states = new Map<string, string | null>();
    for (;;) {
      const pipeline = probe.pipeline();
      for (const p of accepted) pipeline.hget(`${PREFIX}:request:${p.requestId}`, 'state');
      const results = (await pipeline.exec()) ?? [];
      states = new Map(accepted.map((p, i) => [p.requestId, (results[i]?.[1] as string | null) ?? null]));
      const open = [...states.values()].filter((s) => !s || !TERMINAL_STATES.has(s as RequestState)).length;
      const busy = await queuesBusy(probe);
      if ((open === 0 && busy === 0) || Date.now() - drainStart > o.drainS * 1000) break;
      await sleep(2_000);
    }
    const drainS = round((Date.now() - drainStart) / 1000);
    probe.disconnect();

    // Stop the service, then count.
    await Promise.all([...children].map((c) => stopChild(c)));
    const report = await simulatorReport(sim);
    const ctx = createAppContext({ ...settings, LOG_LEVEL: 'silent' }, policy, {
      logger: createLogger({ level: 'silent' }),
    });
    await ctx.ready(10_000);
    let audit: { ok: boolean; events: number; terminalEvents: Map<string, number> };
    try {
      const verdict = await ctx.audit.verify();
      const terminalEvents = new Map<string, number>();
      for (const e of await ctx.audit.read()) {
        if (
          e.requestId &&
          e.type.startsWith('request.') &&
          TERMINAL_STATES.has(e.type.slice('request.'.length) as RequestState)
        )
          terminalEvents.set(e.requestId, (terminalEvents.get(e.requestId) ?? 0) + 1);
      }
      audit = { ok: verdict.ok, events: verdict.checked, terminalEvents };
      // Diagnose requests with more than one terminal event: their audit history (ids and types only).
      const multi = [...terminalEvents].filter(([, n]) => n > 1).slice(0, 3);
      for (const [requestId] of multi) {
        const history = (await ctx.audit.read({ requestId })).map(
          (e) =>
            `${e.ts.slice(11, 23)} ${e.type} by ${e.actor}${e.details.from ? ` from ${String(e.details.from)}` : ''}`,
        );
        progress(`more than one terminal event for ${requestId}: ${history.join(' | ')}`);
      }
      if (!verdict.ok) progress(`audit verify: broken at ${verdict.brokenAt}: ${verdict.reason}`);
    } finally {
      await ctx.close();
    }

    let terminal = 0;
    let lost = 0;
    let multiTerminal = 0;
    const stateCounts: Record<string, number> = {};
    const latencies: number[] = [];
    for (const p of accepted) {
      const state = states.get(p.requestId) ?? null;
      stateCounts[state ?? 'none'] = (stateCounts[state ?? 'none'] ?? 0) + 1;
      const n = audit.terminalEvents.get(p.requestId) ?? 0;
      if (!state || !TERMINAL_STATES.has(state as RequestState)) lost++;
      else if (n === 1) terminal++;
      else multiTerminal++;
      const m = report.messages[p.requestId];
      if (m && p.firstSentAt) latencies.push(m.firstAt - p.firstSentAt);
    }
    let duplicates = 0;
    for (const [requestId, m] of Object.entries(report.messages))
      if (byRequest.has(requestId) && m.count > 1) duplicates += m.count - 1;
    for (const s of logs.samples) progress(`personal value in a log line: ${s}`);
    latencies.sort((a, b) => a - b);
    return {
      events: o.events,
      terminal,
      duplicates,
      lost,
      pii_hits: logs.piiHits + report.llmPiiHits,
      audit_ok: audit.ok,
      p50_ms: Math.round(percentile(latencies, 0.5)),
      p95_ms: Math.round(percentile(latencies, 0.95)),
      accepted: accepted.length,
      never_accepted: counters.neverAccepted,
      redeliveries: counters.redeliveries,
      deliveries: counters.deliveries,
      deliveries_retried: counters.retried,
      multi_terminal: multiTerminal,
      states: stateCounts,
      kills: counters.kills,
      redis_restarts: counters.restarts,
      faults_injected: report.faultsInjected,
      simulator_calls: report.simulatorCalls,
      log_lines: logs.lines,
      log_pii_hits: logs.piiHits,
      llm_requests: report.llmRequests,
      llm_pii_hits: report.llmPiiHits,
      audit_events: audit.events,
      drain_s: drainS,
      duration_s: round((Date.now() - started) / 1000),
      machine: `${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.versions.node}`,
    };
  } finally {
    process.off('SIGINT', abort);
    process.off('SIGTERM', abort);
    await Promise.all([...children].map((c) => stopChild(c, 'SIGKILL')));
    if (sim) await stopChild(sim.child);
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The policy the chaos run serves: the operator's policy with provider quotas lifted and short backoff. */
async function chaosPolicy(path: string): Promise<string> {
  const raw = parse(await readFile(path, 'utf8')) as Record<string, Record<string, unknown>>;
  raw.defaults = { ...raw.defaults, jobs: { attempts: 8, backoffMs: 500 }, openRequestWindow: '0s' };
  raw.limits = { ...raw.limits, hubspot: { requestsPer10s: 1_000_000 } };
  const routes = (raw.llm?.routes ?? {}) as Record<string, Record<string, unknown>>;
  for (const name of Object.keys(routes))
    routes[name] = {
      ...routes[name],
      requestsPerMinute: 1_000_000,
      tokensPerMinute: 1_000_000_000,
      timeoutMs: 10_000,
    };
  const text = stringify(raw);
  parsePolicy(text, path);
  return text;
}

async function post(publicUrl: string, body: string): Promise<number> {
  const timestamp = Date.now();
  const uri = `${publicUrl}/webhooks/hubspot`;
  const res = await fetch(uri, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': String(timestamp),
      'x-hubspot-signature-v3': signV3({
        secret: SANDBOX_HUBSPOT_SECRET,
        method: 'POST',
        uri,
        body,
        timestamp,
      }),
    },
    // HubSpot counts an answer slower than 5 s as a failure and retries.
    signal: AbortSignal.timeout(5_000),
  });
  await res.arrayBuffer();
  return res.status;
}

async function queuesBusy(redis: Redis): Promise<number> {
  let busy = 0;
  for (const q of ['intake', 'draft', 'deliver', 'crm-sync']) {
    const r = await redis
      .multi()
      .llen(`${PREFIX}:${q}:wait`)
      .llen(`${PREFIX}:${q}:active`)
      .zcard(`${PREFIX}:${q}:delayed`)
      .zcard(`${PREFIX}:${q}:prioritized`)
      .exec();
    for (const [, n] of r ?? []) busy += Number(n ?? 0);
  }
  return busy;
}

function simulatorReport(sim: SimulatorProcess): Promise<SimulatorReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the simulator process did not report')), 30_000);
    sim.child.on('message', (m: { type?: string; report?: SimulatorReport }) => {
      if (m.type === 'report' && m.report) {
        clearTimeout(timer);
        resolve(m.report);
      }
    });
    sim.child.send({ type: 'report' });
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

function messageOf(line: string): string {
  try {
    return String((JSON.parse(line) as { msg?: unknown }).msg ?? '(no msg)').slice(0, 80);
  } catch {
    return '(not JSON)';
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
async function sleepWhile(condition: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (condition() && Date.now() < end) await sleep(Math.min(250, end - Date.now()));
}
const secs = (t0: number) => Math.round((Date.now() - t0) / 1000);

export function formatChaos(r: ChaosResult): string {
  const ok = (good: boolean) => (good ? 'ok' : '**FAIL**');
  return [
    `draftbridge chaos: ${r.events} webhook events, ${r.kills} worker SIGKILLs, ${r.redis_restarts} Redis restart(s), ${r.faults_injected} injected vendor faults (${r.simulator_calls} simulator calls)`,
    '',
    '| measurement | value | bar |',
    '| --- | ---: | --- |',
    `| events fired (plus ${r.redeliveries} redelivered duplicates) | ${r.events} | |`,
    `| accepted with 2xx | ${r.accepted} | ${r.never_accepted} never accepted |`,
    `| reached exactly one terminal state | ${r.terminal} | ${ok(r.terminal === r.accepted)} |`,
    `| duplicate drafts or sent mails | ${r.duplicates} | must be 0: ${ok(r.duplicates === 0)} |`,
    `| lost (2xx, no terminal state) | ${r.lost} | must be 0: ${ok(r.lost === 0)} |`,
    `| personal values in log lines / LLM requests | ${r.log_pii_hits} / ${r.llm_pii_hits} | must be 0: ${ok(r.pii_hits === 0)} |`,
    `| audit verify | ${r.audit_ok ? 'ok' : 'broken'} (${r.audit_events} events) | ${ok(r.audit_ok)} |`,
    `| webhook → draft p50 / p95 | ${r.p50_ms} / ${r.p95_ms} ms | |`,
    '',
    `terminal states: ${Object.entries(r.states)
      .map(([k, v]) => `${k} ${v}`)
      .join(
        ', ',
      )}; ${r.deliveries} deliveries, ${r.deliveries_retried} answered non-2xx or timed out and were retried; ${r.log_lines} log lines scanned, ${r.llm_requests} LLM requests scanned; drain ${r.drain_s} s, total ${r.duration_s} s`,
    `machine: ${r.machine}`,
  ].join('\n');
}
