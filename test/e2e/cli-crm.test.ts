import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI as cli, startSandboxService, type SandboxService } from '../support/sandbox-service.ts';

const run = promisify(execFile);

/** `DRAFTBRIDGE_SANDBOX=1 DRAFTBRIDGE_CRM=<crm> npm start` and `draftbridge demo --crm <crm>`, as an operator runs them. */
describe.each(['salesforce', 'dynamics'])('sandbox service and demo with DRAFTBRIDGE_CRM=%s', (crm) => {
  let service: SandboxService;
  let env: NodeJS.ProcessEnv;
  let url: string;

  beforeAll(async () => {
    service = await startSandboxService({ DRAFTBRIDGE_CRM: crm }, `cli-${crm}`);
    ({ env, url } = service);
  });
  afterAll(() => service.stop());

  it('the CRM simulator sends its trigger, and the demo prints the draft and the note written back to that CRM', async () => {
    const { stdout } = await run(
      process.execPath,
      [cli, 'demo', '--crm', crm, '--url', url, '--contact', '1001', '--timeout', '20'],
      { env },
    );
    expect(stdout).toContain(`/webhooks/${crm}`);
    expect(stdout).toContain('(accepted: the job is in Redis)');
    expect(stdout).toContain('✓ draft in max.vertrieb@example.com / drafts');
    expect(stdout).toContain('| Sehr geehrte Frau Musterfrau,');
    expect(stdout).toMatch(/CRM: draftbridge_status=awaiting_review; 1 note/);
    expect(stdout).toMatch(
      new RegExp(`note: draftbridge: .*Anfrage ${crm === 'salesforce' ? 'sf-00D' : 'dv-'}`),
    );
  });

  it('stops on SIGTERM and logged no personal value', async () => {
    service.process.kill('SIGTERM');
    expect(await new Promise((r) => service.process.once('exit', r))).toBe(0);
    const all = service.logs.join('');
    for (const v of ['Erika', 'Musterfrau', 'erika.musterfrau', '901820']) expect(all).not.toContain(v);
  });
});
