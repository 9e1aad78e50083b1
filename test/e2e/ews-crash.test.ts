import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestStoreFor } from '../../src/app.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** Settings as environment variables for a child process (the same Redis prefix, keys and simulators). */
function envFor(h: PipelineHarness): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_EXTRA_CA_CERTS: new URL('../../.sandbox/tls-test/ca.pem', import.meta.url).pathname,
    LOG_LEVEL: 'silent',
    DRAFTBRIDGE_SANDBOX: '1',
  };
  for (const [k, v] of Object.entries(h.ctx.settings))
    if ((typeof v === 'string' || typeof v === 'number') && /^[A-Z_]+$/.test(k)) env[k] = String(v);
  env.DRAFTBRIDGE_VAULT_KEY = h.ctx.keys.vault.toString('base64');
  env.DRAFTBRIDGE_AUDIT_KEY = h.ctx.keys.audit.toString('base64');
  return env;
}

describe('a worker killed while Exchange creates the draft (EWS, SIGKILL)', () => {
  let h: PipelineHarness;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    h = await startPipelineHarness({ withWorkers: false, mail: 'ews' });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await h.close();
  });

  it('yields exactly one draft after a restart: the new worker finds it by its request property', async () => {
    child = spawn(process.execPath, [new URL('../support/worker-process.ts', import.meta.url).pathname], {
      env: envFor(h),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => String(d).includes('ready') && resolve());
      child!.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    // Exchange saves the draft at once but answers only after 1.5 s: the worker dies waiting.
    const ews = h.sandbox.ews!;
    ews.inject({ operation: 'CreateItem', code: 'NoError', delayMs: 1500 });
    const created = () =>
      ews.requests.some(
        (r) => r.operation === 'CreateItem' && r.xml.includes('MessageDisposition="SaveOnly"'),
      );
    const { requestId } = await h.deliverWebhook('1001');
    for (let i = 0; i < 400 && !created(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(created()).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(h.draftsFor(requestId)).toHaveLength(1);
    expect((await requestStoreFor(h.ctx).get(requestId))?.state).toBe('drafted');

    await h.startWorkers();
    await h.waitForState(requestId, ['awaiting_review'], 20_000);
    await h.waitForCrmNote(requestId);
    expect(h.draftsFor(requestId)).toHaveLength(1);
    expect(ews.requests.some((r) => r.operation === 'FindItem' && r.xml.includes(requestId))).toBe(true);
  });
});
