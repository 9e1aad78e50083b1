import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../src/audit/trail.ts';
import { CHROMIUM_PATH } from '../../src/compliance/pdf.ts';
import { deletePrefix, REDIS_URL, testRedis, uniquePrefix } from '../support/env.ts';
import { replaceOnce, salesforceGmailLocal } from './deployments.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;

/** The command as an operator runs it: Salesforce + Gmail + local model, outside the sandbox. */
describe('draftbridge compliance', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const deployment = salesforceGmailLocal();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'draftbridge-compliance-cli-'));
    await writeFile(join(dir, 'policy.yaml'), deployment.policyText);
    env = {
      PATH: process.env.PATH,
      ...deployment.env,
      REDIS_URL,
      DRAFTBRIDGE_QUEUE_PREFIX: uniquePrefix('compliance-cli'),
      DRAFTBRIDGE_POLICY: join(dir, 'policy.yaml'),
      LOG_LEVEL: 'silent',
    };
  });
  afterAll(async () => {
    await deletePrefix(env.DRAFTBRIDGE_QUEUE_PREFIX!);
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the documents, audits it, and --check passes until the policy changes', async () => {
    const out = join(dir, 'docs');
    const { stdout } = await run(process.execPath, [cli, 'compliance', '--out', out, '--format', 'html'], {
      env,
    });
    expect(stdout).toContain(join(out, 'record.de.md'));
    expect(stdout).toContain(join(out, 'draftbridge-compliance.html'));
    const record = await readFile(join(out, 'record.en.md'), 'utf8');
    expect(record).toContain('Salesforce Sales Cloud');
    expect(record).not.toContain('HubSpot');
    expect(await readFile(join(out, 'draftbridge-compliance.html'), 'utf8')).toContain('<section lang="en">');

    const redis = await testRedis();
    try {
      const audit = new AuditTrail(redis, {
        prefix: env.DRAFTBRIDGE_QUEUE_PREFIX!,
        key: Buffer.from(env.DRAFTBRIDGE_AUDIT_KEY!, 'base64'),
      });
      const events = (await audit.read()).filter((e) => e.type === 'compliance.generated');
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        actor: 'cli',
        details: { documents: 12, languages: 'de,en', format: 'html' },
      });
    } finally {
      redis.disconnect();
    }

    expect(
      (await run(process.execPath, [cli, 'compliance', '--out', out, '--check'], { env })).stdout,
    ).toContain('match the running policy');
    await writeFile(
      join(dir, 'policy.yaml'),
      replaceOnce(deployment.policyText, '  vault: 24h ', '  vault: 12h '),
    );
    const drifted = await run(process.execPath, [cli, 'compliance', '--out', out, '--check'], { env }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(drifted?.code).toBe(1);
    expect(drifted?.stderr).toContain('configuration changed: retention.vault: 1d → 12h');
    expect(drifted?.stderr).toContain('toms.de.md: no longer matches the running policy and configuration');
    await writeFile(join(dir, 'policy.yaml'), deployment.policyText);
  }, 60_000);

  it.runIf(existsSync(CHROMIUM_PATH))(
    '--format pdf prints the HTML page to a PDF with headless Chromium',
    async () => {
      const out = join(dir, 'pdf');
      await run(process.execPath, [cli, 'compliance', '--out', out, '--lang', 'en', '--format', 'pdf'], {
        env,
      });
      const pdf = await readFile(join(out, 'draftbridge-compliance.pdf'));
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.length).toBeGreaterThan(10_000);
    },
    60_000,
  );
});
