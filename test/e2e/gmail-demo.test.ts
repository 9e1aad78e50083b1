import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI as cli, startSandboxService, type SandboxService } from '../support/sandbox-service.ts';

const run = promisify(execFile);

describe('DRAFTBRIDGE_SANDBOX=1 DRAFTBRIDGE_MAIL=gmail: npm start, then draftbridge demo shows the draft in Gmail', () => {
  let service: SandboxService;
  let env: NodeJS.ProcessEnv;
  let url: string;

  beforeAll(async () => {
    service = await startSandboxService({ DRAFTBRIDGE_MAIL: 'gmail' }, 'gmaildemo');
    ({ env, url } = service);
  });
  afterAll(() => service.stop());

  it('prints the Gmail draft (mailbox, label, subject) and the CRM note naming Gmail', async () => {
    const { stdout } = await run(
      process.execPath,
      [cli, 'demo', '--url', url, '--contact', '1001', '--timeout', '20'],
      { env },
    );
    expect(stdout).toContain(
      '✓ draft in max.vertrieb@example.com / drafts, category "KI-Entwurf – bitte prüfen"',
    );
    expect(stdout).toContain('subject: Ihr Rückrufwunsch');
    expect(stdout).toContain('| Sehr geehrte Frau Musterfrau,');
    expect(stdout).toMatch(/CRM: draftbridge_status=awaiting_review; 1 note/);
    expect(stdout).toContain('im Gmail-Ordner „Entwürfe“');
    expect(service.logs.join('')).toContain('"gmail":"http://127.0.0.1:');
  });
});
