import { spawn, type ChildProcess } from 'node:child_process';
import { requestStoreFor } from '../../src/app.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRMS, startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** Settings as environment variables for a child process (the same Redis prefix, keys and simulators). */
function envFor(h: PipelineHarness): NodeJS.ProcessEnv {
  const s = h.ctx.settings;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    NODE_EXTRA_CA_CERTS: new URL('../../.sandbox/tls-test/ca.pem', import.meta.url).pathname,
    LOG_LEVEL: 'silent',
    DRAFTBRIDGE_SANDBOX: '1',
  };
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === 'string' && /^[A-Z_]+$/.test(k)) env[k] = v;
  }
  env.DRAFTBRIDGE_VAULT_KEY = h.ctx.keys.vault.toString('base64');
  env.DRAFTBRIDGE_AUDIT_KEY = h.ctx.keys.audit.toString('base64');
  return env;
}

describe.each(CRMS)('a worker killed in the middle of delivering (%s)', (crm) => {
  let h: PipelineHarness;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    h = await startPipelineHarness({ withWorkers: false, crm });
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await h.close();
  });

  it('yields exactly one Outlook draft after a restart (SIGKILL between creating the draft and finishing the job)', async () => {
    child = spawn(process.execPath, [new URL('../support/worker-process.ts', import.meta.url).pathname], {
      env: envFor(h),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.on('data', (d: Buffer) => String(d).includes('ready') && resolve());
      child!.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    });
    // Graph creates the draft at once but answers only after 1.5 s: the worker dies waiting for the answer.
    h.sandbox.graph.inject({
      responseDelayMs: 1500,
      method: 'POST',
      path: /^\/v1\.0\/users\/[^/]+\/messages$/,
      times: 1,
    });
    const posted = () =>
      h.sandbox.graph.requests.some((r) => r.method === 'POST' && /\/messages$/.test(r.path));
    const { requestId } = await h.deliverWebhook('1001');
    for (let i = 0; i < 200 && !posted(); i++) await new Promise((r) => setTimeout(r, 25));
    expect(posted()).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child!.once('exit', r));
    expect(h.draftsFor(requestId)).toHaveLength(1);
    expect((await requestStoreFor(h.ctx).get(requestId))?.state).toBe('drafted');

    // A fresh worker picks the stalled job up, finds the draft by its request-id property, and does not create another.
    await h.startWorkers();
    await h.waitForState(requestId, ['awaiting_review'], 20_000);
    await h.waitForCrmNote(requestId);
    expect(h.draftsFor(requestId)).toHaveLength(1);
    const creates = h.sandbox.graph.requests.filter((r) => r.method === 'POST' && /\/messages$/.test(r.path));
    expect(creates).toHaveLength(1);
  });
});
