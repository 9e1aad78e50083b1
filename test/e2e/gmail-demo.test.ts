import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, uniquePrefix } from '../support/env.ts';
import { freePort } from '../support/redis-server.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;

describe('DRAFTBRIDGE_SANDBOX=1 DRAFTBRIDGE_MAIL=gmail: npm start, then draftbridge demo shows the draft in Gmail', () => {
  let service: ChildProcess;
  let env: NodeJS.ProcessEnv;
  let url: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = { PATH: process.env.PATH, DRAFTBRIDGE_SANDBOX: '1', DRAFTBRIDGE_MAIL: 'gmail', PORT: String(port), DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix('gmaildemo'), LOG_LEVEL: 'info' };
    service = spawn(process.execPath, [cli, 'serve', 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    service.stdout!.on('data', (d: Buffer) => logs.push(String(d)));
    service.stderr!.on('data', (d: Buffer) => logs.push(String(d)));
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${url}/readyz`).then((r) => r.ok, () => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`service did not become ready:\n${logs.join('')}`);
  });
  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await deletePrefix(env.DRAFTBRIDGE_QUEUE_PREFIX!);
  });

  it('prints the Gmail draft (mailbox, label, subject) and the CRM note naming Gmail', async () => {
    const { stdout } = await run(process.execPath, [cli, 'demo', '--url', url, '--contact', '1001', '--timeout', '20'], { env });
    expect(stdout).toContain('✓ draft in max.vertrieb@example.com / drafts, category "KI-Entwurf – bitte prüfen"');
    expect(stdout).toContain('subject: Ihr Rückrufwunsch');
    expect(stdout).toContain('| Sehr geehrte Frau Musterfrau,');
    expect(stdout).toMatch(/CRM: draftbridge_status=awaiting_review; 1 note/);
    expect(stdout).toContain('im Gmail-Ordner „Entwürfe“');
    expect(logs.join('')).toContain('"gmail":"http://127.0.0.1:');
  });
});
