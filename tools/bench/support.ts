import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { createRedis, deleteKeysWithPrefix, waitForRedis } from '../../src/redis.ts';
import { trustSimulatorCa } from '../../sandbox/index.ts';
import type { AppContext } from '../../src/app.ts';
import type { Settings } from '../../src/settings.ts';

export { deliver, hubspotEvent, round } from './events.ts';

/** Pieces `draftbridge bench` and `draftbridge chaos` share: simulators in a child process, webhook events, clean-up. */

export interface SimulatorProcess {
  child: ChildProcess;
  settings: Settings;
  /** The simulator CA (PEM): child processes trust it through NODE_EXTRA_CA_CERTS. */
  caPem: string;
}

/**
 * Starts a simulator script in a child process (they stand in for remote services, whose CPU is not
 * ours to count) and returns the settings that point at them. The script prints
 * `{"settings": ..., "caPem": ...}` as its first stdout line. `ipc` opens a message channel.
 */
export async function startSimulatorProcess(
  settings: Settings,
  options: { script?: string; env?: NodeJS.ProcessEnv; ipc?: boolean } = {},
): Promise<SimulatorProcess> {
  const script = options.script ?? new URL('./simulator-process.ts', import.meta.url).pathname;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    REDIS_URL: settings.REDIS_URL,
    PORT: String(settings.PORT),
    HOST: settings.HOST,
    DRAFTBRIDGE_PUBLIC_URL: settings.publicUrl,
    DRAFTBRIDGE_QUEUE_PREFIX: settings.DRAFTBRIDGE_QUEUE_PREFIX,
    ...options.env,
  };
  const child = spawn(process.execPath, [script], {
    env,
    stdio: ['ignore', 'pipe', 'inherit', ...(options.ipc ? (['ipc'] as const) : [])],
  });
  const [line] = await Promise.race([
    (async () => {
      for await (const l of createInterface({ input: child.stdout! })) return [l];
      return [''];
    })(),
    new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`simulator process exited (${code})`))),
    ),
  ]);
  const started = JSON.parse(line!) as { settings: Settings; caPem: string };
  trustSimulatorCa(started.caPem);
  return {
    child,
    caPem: started.caPem,
    settings: {
      ...settings,
      ...started.settings,
      DRAFTBRIDGE_QUEUE_PREFIX: settings.DRAFTBRIDGE_QUEUE_PREFIX,
      publicUrl: settings.publicUrl,
    },
  };
}

/** Deletes every key under a prefix (SCAN, never KEYS; every master of a cluster). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = createRedis(url, 'store', 'draftbridge-bench');
  try {
    await waitForRedis(redis, 10_000);
    await deleteKeysWithPrefix(redis, prefix);
  } finally {
    redis.disconnect();
  }
}

/** Sends one IPC message to a simulator process and waits for its answer (`ipc: true`). */
export function askSimulators<T>(sim: SimulatorProcess, message: object): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (answer: T) => {
      sim.child.off('exit', onExit);
      resolve(answer);
    };
    const onExit = (code: number | null) => reject(new Error(`simulator process exited (${code})`));
    sim.child.once('message', onMessage);
    sim.child.once('exit', onExit);
    sim.child.send(message);
  });
}

/** Redis commands and round trips this process sent so far (see `countRedis`). */
export interface RedisCount {
  commands: number;
  trips: number;
}

/**
 * Counts the Redis commands this process sends (every ioredis client, BullMQ's included; each command
 * of a MULTI or pipeline, a script once, not what it runs inside Redis) and the round trips (a
 * pipeline or MULTI is one). Bench-only: wraps `sendCommand` on the client prototype for the life of
 * the process (cluster clients send through it too).
 */
export function countRedis(): () => RedisCount {
  const count: RedisCount = { commands: 0, trips: 0 };
  let lastStream: unknown;
  const proto = Redis.prototype as unknown as {
    sendCommand: (command: unknown, stream?: unknown, ...rest: unknown[]) => unknown;
  };
  const original = proto.sendCommand;
  proto.sendCommand = function (this: unknown, command: unknown, stream?: unknown, ...rest: unknown[]) {
    count.commands++;
    // Pipelined commands share one write stream per exec.
    if (!stream || stream !== lastStream) count.trips++;
    lastStream = stream;
    return original.call(this, command, stream, ...rest);
  };
  return () => ({ ...count });
}

/** Waits until `count` jobs of a stage have completed or failed. */
export async function waitForCompleted(
  ctx: AppContext,
  queue: 'intake' | 'crm-sync',
  count: number,
): Promise<void> {
  for (;;) {
    const counts = await ctx.queues[queue].getJobCounts('completed', 'failed');
    if ((counts.completed ?? 0) + (counts.failed ?? 0) >= count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
