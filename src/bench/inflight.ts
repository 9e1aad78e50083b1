import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import type { SimulatorProcess } from './support.ts';

/** What the in-flight process reports (its last stdout line). */
export interface InflightResult {
  rssMbStart: number;
  rssMbPeak: number;
  /** Most draft jobs active at once (each waits on its LLM call). */
  inflightPeak: number;
  ms: number;
}

/**
 * Peak RSS of a fresh draftbridge process (API and workers, as `serve all`) while `requests` LLM
 * calls are in flight: a process of its own, so nothing the other bench phases left on the heap
 * counts. The caller sets the simulator's LLM latency first.
 */
export async function runInflight(sim: SimulatorProcess, settings: Settings, policy: Policy, options: { prefix: string; requests: number }): Promise<InflightResult> {
  const script = new URL('./inflight-process.ts', import.meta.url).pathname;
  const input = JSON.stringify({ settings: { ...sim.settings, REDIS_URL: settings.REDIS_URL, DRAFTBRIDGE_QUEUE_PREFIX: options.prefix }, policy, requests: options.requests });
  const dir = mkdtempSync(join(tmpdir(), 'draftbridge-bench-'));
  const ca = join(dir, 'simulator-ca.pem');
  writeFileSync(ca, sim.caPem);
  const child = spawn(process.execPath, [...process.execArgv, script], { env: { ...process.env, DRAFTBRIDGE_BENCH_INFLIGHT: input, NODE_EXTRA_CA_CERTS: ca }, stdio: ['ignore', 'pipe', 'inherit'] });
  child.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  let last = '';
  for await (const line of createInterface({ input: child.stdout })) last = line;
  const code = await new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', r)));
  if (code !== 0 || !last) throw new Error(`in-flight bench process exited (${code})`);
  return JSON.parse(last) as InflightResult;
}
