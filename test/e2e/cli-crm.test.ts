import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/env.ts';
import { freePort } from '../support/redis-server.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;

/** `DRAFTBRIDGE_SANDBOX=1 DRAFTBRIDGE_CRM=<crm> npm start` and `draftbridge demo --crm <crm>`, as an operator runs them. */
describe.each(['salesforce', 'dynamics'])('sandbox service and demo with DRAFTBRIDGE_CRM=%s', (crm) => {
  let service: ChildProcess;
  let env: NodeJS.ProcessEnv;
  let url: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = { PATH: process.env.PATH, DRAFTBRIDGE_SANDBOX: '1', DRAFTBRIDGE_CRM: crm, PORT: String(port), DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix(`cli-${crm}`), LOG_LEVEL: 'info' };
    service = spawn(process.execPath, [cli, 'serve', 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    service.stdout!.on('data', (d: Buffer) => logs.push(String(d)));
    service.stderr!.on('data', (d: Buffer) => logs.push(String(d)));
    for (let i = 0; i < 150; i++) {
      if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`service did not become ready:\n${logs.join('')}`);
  });
  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await deletePrefix(env.DRAFTBRIDGE_QUEUE_PREFIX!);
  });

  it('the CRM simulator sends its trigger, and the demo prints the draft and the note written back to that CRM', async () => {
    const { stdout } = await run(process.execPath, [cli, 'demo', '--crm', crm, '--url', url, '--contact', '1001', '--timeout', '20'], { env });
    expect(stdout).toContain(`/webhooks/${crm}`);
    expect(stdout).toContain('(accepted: the job is in Redis)');
    expect(stdout).toContain('✓ draft in max.vertrieb@example.com / drafts');
    expect(stdout).toContain('| Sehr geehrte Frau Musterfrau,');
    expect(stdout).toMatch(/CRM: draftbridge_status=awaiting_review; 1 note/);
    expect(stdout).toMatch(new RegExp(`note: draftbridge: .*Anfrage ${crm === 'salesforce' ? 'sf-00D' : 'dv-'}`));
  });

  it('stops on SIGTERM and logged no personal value', async () => {
    service.kill('SIGTERM');
    expect(await new Promise((r) => service.once('exit', r))).toBe(0);
    const all = logs.join('');
    for (const v of ['Erika', 'Musterfrau', 'erika.musterfrau', '901820']) expect(all).not.toContain(v);
  });
});
