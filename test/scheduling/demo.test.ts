import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deletePrefix, REDIS_URL, uniquePrefix } from '../support/env.ts';
import { freePort } from '../support/redis-server.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;

// `draftbridge demo --note TEXT --reply-text TEXT`: your own wording end to end in the sandbox.
describe('demo with your own note and reply', () => {
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
      DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix('demo-words'),
      LOG_LEVEL: 'warn',
    };
    service = spawn(process.execPath, [cli, 'serve', 'all'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    service.stdout!.on('data', (d: Buffer) => logs.push(String(d)));
    service.stderr!.on('data', (d: Buffer) => logs.push(String(d)));
    for (let i = 0; i < 200; i++) {
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
  }, 60_000);
  afterAll(async () => {
    if (service.exitCode === null) service.kill('SIGKILL');
    await deletePrefix(env.DRAFTBRIDGE_QUEUE_PREFIX!);
  });

  it('a note "nur dienstags nachmittags" offers Tuesday afternoons; "der letzte" books the last one', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        cli,
        'demo',
        '--url',
        url,
        '--contact',
        '1001',
        '--timeout',
        '30',
        '--note',
        'Bitte nur dienstags nachmittags.',
        '--reply-text',
        'Hallo, der letzte passt mir.',
      ],
      { env },
    );
    const offered = /offered slots \(UTC\): (.*)/
      .exec(stdout)![1]!
      .trim()
      .split(/\s{2}/)
      .map((s) => s.replace(/^\d\. /, ''));
    expect(offered.length).toBeGreaterThan(0);
    for (const slot of offered) {
      const start = DateTime.fromISO(slot.split('/')[0]!).setZone('Europe/Berlin');
      expect(start.weekday).toBe(2);
      expect(start.hour).toBeGreaterThanOrEqual(12);
    }
    const [start, end] = offered.at(-1)!.split('/');
    expect(stdout).toContain(
      `in max.vertrieb@example.com, ${start} – ${end} (UTC), busy, attendee erika.musterfrau@example.com`,
    );
  }, 90_000);

  it('"Bitte rufen Sie mich einfach an" books nothing and prints the note for the rep', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        cli,
        'demo',
        '--url',
        url,
        '--contact',
        '1002',
        '--timeout',
        '30',
        '--reply-text',
        'Please just call me.',
      ],
      { env },
    );
    expect(stdout).toContain('no booking; CRM note:');
    expect(stdout).toMatch(/asks to be called|bittet um einen Anruf/);
  }, 90_000);
});
