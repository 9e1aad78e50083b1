import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { startupSummary } from '../../src/cli/serve.ts';
import { configProblems } from '../../src/cli/doctor/service.ts';
import { createLogger } from '../../src/logger.ts';
import { redisErrorReporter } from '../../src/redis-warnings.ts';
import { SettingsError } from '../../src/settings.ts';
import { defaultPolicy, testSettings } from '../support/env.ts';

/** What an operator reads at start and when things go wrong (issue 34). */
describe('start-up line and warnings', () => {
  it('names the CRM, the mail system, the LLM routes, /ops and the demo command', () => {
    const { line } = startupSummary(
      testSettings({
        DRAFTBRIDGE_SANDBOX: '1',
        DRAFTBRIDGE_CRM: 'salesforce',
        DRAFTBRIDGE_PUBLIC_URL: 'http://localhost:3000',
      }),
      'all',
    );
    expect(line).toContain('CRM salesforce');
    expect(line).toContain('mail Outlook (Microsoft Graph)');
    expect(line).toContain('LLM eu (simulated Azure OpenAI), local (simulated)');
    expect(line).toContain('ops http://localhost:3000/ops');
    expect(line).toContain('npx draftbridge demo --contact 1001 --crm salesforce');
  });

  it('warns about a local route without a local model and a missing GRAPH_NOTIFICATION_URL', () => {
    const settings = { ...testSettings(), LOCAL_LLM_BASE_URL: undefined, LOCAL_LLM_MODEL: undefined };
    const problems = configProblems({ settings, policy: defaultPolicy() });
    expect(problems.map((p) => p.setting)).toEqual(['LOCAL_LLM_BASE_URL', 'GRAPH_NOTIFICATION_URL']);
    expect(problems[0]!.detail).toContain('sensitive.health');
  });

  it('refuses an http authority host with the variable named, not a stack trace later', () => {
    expect(() => testSettings({ GRAPH_AUTHORITY_HOST: 'http://login.example.test' })).toThrow(SettingsError);
    expect(() => testSettings({ GRAPH_AUTHORITY_HOST: 'http://login.example.test' })).toThrow(
      /GRAPH_AUTHORITY_HOST: must be https/,
    );
  });
});

describe('log lines', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      { level: 'info' },
      new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) }),
    );
    return { lines, logger };
  };

  it('keeps an error’s name readable (and still censors personal names)', () => {
    const { lines, logger } = capture();
    logger.error(
      { err: { name: 'UpstreamUnavailable', message: 'x' }, owner: { name: 'Max Vertrieb' } },
      'failed',
    );
    expect(lines[0]).toMatchObject({ err: { name: 'UpstreamUnavailable' }, owner: { name: '[redacted]' } });
  });

  it('rate-limits Redis connection warnings and names a refused password as such', () => {
    const { lines, logger } = capture();
    let t = 0;
    const report = redisErrorReporter(logger, 'redis', 30_000, () => t);
    for (let i = 0; i < 181; i++, t += 77)
      report(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6390'), { code: 'ECONNREFUSED' }));
    expect(lines).toHaveLength(1);
    t += 30_000;
    report(new Error('WRONGPASS invalid username-password pair or user is disabled.'));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ suppressed: 180 });
    expect(String(lines[1]!.msg)).toContain('refused the credentials');
    expect(String(lines[0]!.msg)).toContain('not reachable');
  });
});
