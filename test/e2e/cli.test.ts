import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/env.ts';
import { freePort } from '../support/redis-server.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;

describe('npm start in sandbox mode, draftbridge demo, retention run, audit verify, and a graceful stop', () => {
  let service: ChildProcess;
  let env: NodeJS.ProcessEnv;
  let url: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH,
      REDIS_URL,
      DRAFTBRIDGE_SANDBOX: '1',
      PORT: String(port),
      DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix('cli'),
      LOG_LEVEL: 'info',
    };
    service = spawn(process.execPath, [cli, 'serve', 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    service.stdout!.on('data', (d: Buffer) => logs.push(String(d)));
    service.stderr!.on('data', (d: Buffer) => logs.push(String(d)));
    for (let i = 0; i < 100; i++) {
      if (
        await fetch(`${url}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`service did not become ready:\n${logs.join('')}`);
  });
  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await deletePrefix(env.DRAFTBRIDGE_QUEUE_PREFIX!);
  });

  it('demo prints the draft’s mailbox, subject, state and the CRM note', async () => {
    const { stdout } = await run(
      process.execPath,
      [cli, 'demo', '--url', url, '--contact', '1001', '--timeout', '20'],
      { env },
    );
    expect(stdout).toContain('← 204');
    expect(stdout).toContain('awaiting_review');
    expect(stdout).toContain('✓ draft in max.vertrieb@example.com / drafts');
    expect(stdout).toContain('subject: Ihr Rückrufwunsch');
    expect(stdout).toContain('| Sehr geehrte Frau Musterfrau,');
    expect(stdout).toMatch(/CRM: draftbridge_status=awaiting_review; 1 note/);
  });

  it('demo --reply 2 prints the offered slots and the meeting booked from the contact’s reply', async () => {
    const { stdout } = await run(
      process.execPath,
      [cli, 'demo', '--url', url, '--contact', '1001', '--timeout', '20', '--reply', '2'],
      { env },
    );
    expect(stdout).toMatch(/offered slots \(UTC\): 1\. \S+ {2}2\. (\S+)/);
    const second = /offered slots \(UTC\): 1\. \S+ {2}2\. (\S+)/.exec(stdout)![1]!;
    const [start, end] = second.split('/');
    expect(stdout).toContain('the contact replies: "Option 2 passt mir gut."');
    expect(stdout).toContain(
      `✓ booked: "Rückruf (gebucht über draftbridge)" in max.vertrieb@example.com, ${start} – ${end} (UTC), busy, attendee erika.musterfrau@example.com`,
    );
    expect(stdout).toContain('CRM: draftbridge_status=booked');
  });

  it('retention run and audit verify work against the same Redis', async () => {
    const retention = await run(process.execPath, [cli, 'retention', 'run'], { env });
    expect(JSON.parse(retention.stdout)).toMatchObject({ auditEventsRemoved: 0 });
    const verify = await run(process.execPath, [cli, 'audit', 'verify'], { env });
    expect(verify.stdout).toMatch(/audit chain ok: \d+ events verified/);
    // Two CLI processes start one after the other: on a shared 2-core machine each can take 20 s.
  }, 120_000);

  it('stops on SIGTERM with exit code 0 and logs no personal value', async () => {
    service.kill('SIGTERM');
    const code = await new Promise((r) => service.once('exit', r));
    expect(code).toBe(0);
    const all = logs.join('');
    expect(all).toContain('shutting down');
    for (const v of ['Erika', 'Musterfrau', 'erika.musterfrau', '901820']) expect(all).not.toContain(v);
  });
});
