import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ewsDoctorChecks } from '../../connectors/ews/doctor.ts';
import { startEwsSimulator, type EwsSimulator } from '../../sandbox/ews/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/index.ts';
import { generateSimulatorTls } from '../../sandbox/tls.ts';
import { loadSettings, SettingsError } from '../../src/settings.ts';

const base = {
  DRAFTBRIDGE_VAULT_KEY: randomBytes(32).toString('base64'),
  DRAFTBRIDGE_AUDIT_KEY: randomBytes(32).toString('base64'),
  HUBSPOT_CLIENT_SECRET: 'test-client-secret-0000',
  HUBSPOT_ACCESS_TOKEN: 'pat-test',
  LOCAL_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
  LOCAL_LLM_MODEL: 'unused',
  DRAFTBRIDGE_MAIL: 'ews',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
    return [];
  } catch (e) {
    if (!(e instanceof SettingsError)) throw e;
    return e.problems;
  }
}

describe('DRAFTBRIDGE_MAIL=ews settings', () => {
  it('requires EWS_URL and the credentials of EWS_AUTH (and not the Graph ones) outside the sandbox', () => {
    expect(
      problems(base)
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['EWS_PASSWORD', 'EWS_URL', 'EWS_USERNAME']);
    expect(
      problems({ ...base, EWS_AUTH: 'oauth' })
        .map((p) => p.split(':')[0])
        .sort(),
    ).toEqual(['EWS_OAUTH_CLIENT_ID', 'EWS_OAUTH_CLIENT_SECRET', 'EWS_OAUTH_TOKEN_URL', 'EWS_URL']);
    expect(
      problems({
        ...base,
        DRAFTBRIDGE_MAIL: 'graph',
        GRAPH_TENANT_ID: 't',
        GRAPH_CLIENT_ID: 'c',
        GRAPH_CLIENT_SECRET: 's',
      }),
    ).toEqual([]);
  });

  it('accepts NTLM with defaults, refuses plain http and an unknown EWS_AUTH', () => {
    const ok = loadSettings({
      ...base,
      EWS_URL: 'https://mail.example.com/EWS/Exchange.asmx',
      EWS_USERNAME: 'svc-draftbridge',
      EWS_PASSWORD: 'secret',
      EWS_DOMAIN: 'CONTOSO',
    });
    expect(ok).toMatchObject({ DRAFTBRIDGE_MAIL: 'ews', EWS_AUTH: 'ntlm', EWS_POLL_INTERVAL_MS: 10_000 });
    const bad = problems({
      ...base,
      EWS_URL: 'http://mail.example.com/EWS/Exchange.asmx',
      EWS_AUTH: 'kerberos',
      EWS_USERNAME: 'u',
      EWS_PASSWORD: 'p',
    });
    expect(bad.some((p) => p.startsWith('EWS_URL') && p.includes('https://'))).toBe(true);
    expect(bad.some((p) => p.startsWith('EWS_AUTH'))).toBe(true);
  });
});

describe('ewsDoctorChecks against the simulator', () => {
  let sim: EwsSimulator;
  beforeAll(async () => {
    const tls = await generateSimulatorTls();
    trustSimulatorCa(tls.caPem);
    sim = await startEwsSimulator({ tls });
    sim.addMailbox('max.vertrieb@example.com');
  });
  afterAll(() => sim.close());
  const settingsFor = (overrides: Record<string, string>) =>
    loadSettings({
      ...base,
      EWS_URL: sim.url,
      EWS_USERNAME: sim.account.username,
      EWS_PASSWORD: sim.account.password,
      EWS_DOMAIN: sim.account.domain,
      EWS_DOCTOR_MAILBOX: 'max.vertrieb@example.com',
      ...overrides,
    });

  it('passes sign-in, impersonation and free/busy for a mailbox in scope', async () => {
    const checks = await ewsDoctorChecks(settingsFor({}));
    expect(checks.map((c) => c.ok)).toEqual([true, true]);
  });

  it('names EWS_USERNAME for refused credentials and EWS_DOCTOR_MAILBOX for a mailbox outside the impersonation scope', async () => {
    const [creds] = await ewsDoctorChecks(settingsFor({ EWS_PASSWORD: 'wrong' }));
    expect(creds).toMatchObject({ ok: false, setting: 'EWS_USERNAME' });
    const [scope] = await ewsDoctorChecks(settingsFor({ EWS_DOCTOR_MAILBOX: 'ceo@example.com' }));
    expect(scope).toMatchObject({ ok: false, setting: 'EWS_DOCTOR_MAILBOX' });
    expect(scope!.detail).toContain('ApplicationImpersonation');
    // Without a mailbox to check there is nothing to impersonate: the check fails and says which setting to set.
    expect(await ewsDoctorChecks(settingsFor({ EWS_DOCTOR_MAILBOX: '' }))).toEqual([
      expect.objectContaining({ ok: false, setting: 'EWS_DOCTOR_MAILBOX' }),
    ]);
  });
});
