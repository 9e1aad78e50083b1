import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Policy } from '../../src/policy.ts';
import type { Settings } from '../../src/settings.ts';
import type { SimulatorProcess } from './support.ts';

/**
 * The V8 heap limits a deployment runs with (Dockerfile NODE_OPTIONS, `npm start`): a young
 * generation of 8 MB semi-spaces and 160 MB of old space. Live memory with 1,000 LLM calls in flight
 * is about 105–120 MB; without a limit V8 lets garbage pile up to twice that before collecting.
 */
export const DEPLOYMENT_NODE_OPTIONS = ['--max-semi-space-size=8', '--max-old-space-size=160'];

/** What the in-flight process reports (its last stdout line). */
export interface InflightResult {
  rssMbStart: number;
  rssMbPeak: number;
  /** V8 heap in use and memory outside it (buffers) at the RSS peak. */
  heapMbAtPeak: number;
  externalMbAtPeak: number;
  /** V8 heap after a full collection once every call is in flight (NaN if they never all were). */
  heapMbLive: number;
  /** Most draft jobs active at once (each waits on its LLM call). */
  inflightPeak: number;
  ms: number;
}

/**
 * Peak RSS of a fresh draftbridge process (API and workers, as `serve all`, with the deployment's
 * heap limits) while `requests` LLM calls are in flight: a process of its own, so nothing the other
 * bench phases left on the heap counts. The caller sets the simulator's LLM latency first.
 */
export async function runInflight(
  sim: SimulatorProcess,
  settings: Settings,
  policy: Policy,
  options: { prefix: string; requests: number },
): Promise<InflightResult> {
  const script = new URL('./inflight-process.ts', import.meta.url).pathname;
  const input = JSON.stringify({
    settings: { ...sim.settings, REDIS_URL: settings.REDIS_URL, DRAFTBRIDGE_QUEUE_PREFIX: options.prefix },
    policy,
    requests: options.requests,
  });
  const dir = mkdtempSync(join(tmpdir(), 'draftbridge-bench-'));
  const ca = join(dir, 'simulator-ca.pem');
  writeFileSync(ca, sim.caPem);
  // --expose-gc for the live-heap figure only; the process runs with the deployment's limits otherwise.
  const child = spawn(
    process.execPath,
    [...process.execArgv, ...DEPLOYMENT_NODE_OPTIONS, '--expose-gc', script],
    {
      env: { ...process.env, DRAFTBRIDGE_BENCH_INFLIGHT: input, NODE_EXTRA_CA_CERTS: ca },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  let last = '';
  for await (const line of createInterface({ input: child.stdout })) last = line;
  const code = await new Promise<number | null>((r) =>
    child.exitCode !== null ? r(child.exitCode) : child.once('exit', r),
  );
  if (code !== 0 || !last) throw new Error(`in-flight bench process exited (${code})`);
  return JSON.parse(last) as InflightResult;
}
