import { spawn, type ChildProcess } from 'node:child_process';
import { deletePrefix, REDIS_URL, uniquePrefix } from './env.ts';
import { freePort } from './redis-server.ts';

export const CLI = new URL('../../src/cli.ts', import.meta.url).pathname;

/** `DRAFTBRIDGE_SANDBOX=1 npm start` as an operator runs it: `serve all` in its own process, ready on /readyz. */
export interface SandboxService {
  url: string;
  env: NodeJS.ProcessEnv;
  process: ChildProcess;
  logs: string[];
  stop(): Promise<void>;
}

export async function startSandboxService(
  extraEnv: Record<string, string>,
  label: string,
): Promise<SandboxService> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    REDIS_URL,
    DRAFTBRIDGE_SANDBOX: '1',
    PORT: String(port),
    DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix(label),
    LOG_LEVEL: 'info',
    ...extraEnv,
  };
  const child = spawn(process.execPath, [CLI, 'serve', 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  child.stdout!.on('data', (d: Buffer) => logs.push(String(d)));
  child.stderr!.on('data', (d: Buffer) => logs.push(String(d)));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await deletePrefix(env.DRAFTBRIDGE_QUEUE_PREFIX!);
  };
  for (let i = 0; i < 150; i++) {
    if (
      await fetch(`${url}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, env, process: child, logs, stop };
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`service did not become ready:\n${logs.join('')}`);
}
