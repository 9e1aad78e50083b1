import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/settings.ts';

const base = {
  DRAFTBRIDGE_VAULT_KEY: randomBytes(32).toString('base64'),
  DRAFTBRIDGE_AUDIT_KEY: randomBytes(32).toString('base64'),
  HUBSPOT_CLIENT_SECRET: 'test-client-secret-0000',
  HUBSPOT_ACCESS_TOKEN: 'pat-test',
  LOCAL_LLM_BASE_URL: 'http://127.0.0.1:9/v1',
  LOCAL_LLM_MODEL: 'unused',
  DRAFTBRIDGE_MAIL: 'gmail',
};

describe('DRAFTBRIDGE_MAIL=gmail settings', () => {
  it('requires the Gmail variables (and not the Graph ones) outside the sandbox, naming each', () => {
    const err = (() => {
      try {
        loadSettings(base);
      } catch (e) {
        return e as SettingsError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SettingsError);
    expect(err!.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'GMAIL_PUBSUB_TOPIC',
      'GMAIL_PUSH_AUDIENCE',
      'GMAIL_PUSH_SERVICE_ACCOUNT',
      'GMAIL_SERVICE_ACCOUNT_KEY',
    ]);
  });

  it('accepts a complete Gmail configuration with Google defaults and checks the topic name and the key', () => {
    const key = JSON.stringify({
      type: 'service_account',
      client_email: 'draftbridge@acme-mail.test',
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
      private_key_id: 'abc',
    });
    const gmail = {
      GMAIL_SERVICE_ACCOUNT_KEY: key,
      GMAIL_PUBSUB_TOPIC: 'projects/acme-mail/topics/gmail-approvals',
      GMAIL_PUSH_AUDIENCE: 'https://draftbridge.example.com/webhooks/gmail',
      GMAIL_PUSH_SERVICE_ACCOUNT: 'push@acme-mail.test',
    };
    const s = loadSettings({ ...base, ...gmail });
    expect(s.DRAFTBRIDGE_MAIL).toBe('gmail');
    expect(s.GMAIL_API_ROOT_URL).toBe('https://gmail.googleapis.com/');
    expect(s.GOOGLE_TOKEN_URL).toBe('https://oauth2.googleapis.com/token');
    expect(s.GOOGLE_CERTS_URL).toBe('https://www.googleapis.com/oauth2/v1/certs');
    expect(() => loadSettings({ ...base, ...gmail, GMAIL_PUBSUB_TOPIC: 'gmail-approvals' })).toThrow(
      /GMAIL_PUBSUB_TOPIC/,
    );
    expect(() =>
      loadSettings({ ...base, ...gmail, GMAIL_SERVICE_ACCOUNT_KEY: '/nonexistent/draftbridge-sa.json' }),
    ).toThrow(/GMAIL_SERVICE_ACCOUNT_KEY: cannot read the key file \(ENOENT\)/);
    expect(() =>
      loadSettings({ ...base, ...gmail, GMAIL_SERVICE_ACCOUNT_KEY: '{"type":"service_account"}' }),
    ).toThrow(/GMAIL_SERVICE_ACCOUNT_KEY: not a service-account key \(client_email, private_key/);
  });
});
