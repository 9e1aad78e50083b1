import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadSettings, SettingsError } from '../../src/settings.ts';

/** Outside the sandbox, only the chosen CRM's credentials are required, all named at once. */
const BASE = {
  DRAFTBRIDGE_VAULT_KEY: randomBytes(32).toString('base64'),
  DRAFTBRIDGE_AUDIT_KEY: randomBytes(32).toString('base64'),
  GRAPH_TENANT_ID: 't',
  GRAPH_CLIENT_ID: 'c',
  GRAPH_CLIENT_SECRET: 's',
  LOCAL_LLM_BASE_URL: 'http://llm.example.test/v1',
  LOCAL_LLM_MODEL: 'm',
};

function problems(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
    return [];
  } catch (err) {
    if (err instanceof SettingsError) return err.problems.map((p) => p.split(':')[0]!);
    throw err;
  }
}

describe('CRM settings', () => {
  it('requires Salesforce credentials, org id and a secret or a JWT key, not HubSpot’s', () => {
    expect(problems({ ...BASE, DRAFTBRIDGE_CRM: 'salesforce' }).sort()).toEqual([
      'SALESFORCE_CLIENT_ID',
      'SALESFORCE_CLIENT_SECRET',
      'SALESFORCE_ORG_ID',
    ]);
    const sf = {
      ...BASE,
      DRAFTBRIDGE_CRM: 'salesforce',
      SALESFORCE_CLIENT_ID: '3MVG9x',
      SALESFORCE_ORG_ID: '00DDr0000062515',
    };
    expect(problems({ ...sf, SALESFORCE_CLIENT_SECRET: 's' })).toEqual([]);
    expect(
      problems({
        ...sf,
        SALESFORCE_USERNAME: 'integration@example.com',
        SALESFORCE_PRIVATE_KEY: '/etc/draftbridge/salesforce.key',
      }),
    ).toEqual([]);
    expect(
      problems({ ...sf, SALESFORCE_CLIENT_SECRET: 's', SALESFORCE_USERNAME: 'integration@example.com' }),
    ).toEqual(['SALESFORCE_PRIVATE_KEY']);
    expect(
      problems({
        ...sf,
        SALESFORCE_CLIENT_SECRET: 's',
        SALESFORCE_ORG_ID: '001Dr0000062515',
        SALESFORCE_API_VERSION: 'v62',
      }).sort(),
    ).toEqual(['SALESFORCE_API_VERSION', 'SALESFORCE_ORG_ID']);
    const s = loadSettings({ ...sf, SALESFORCE_CLIENT_SECRET: 's' });
    expect(s).toMatchObject({
      SALESFORCE_LOGIN_URL: 'https://login.salesforce.com',
      SALESFORCE_API_VERSION: '62.0',
    });
  });

  it('requires the Dataverse URL, app registration and webhook key for dynamics', () => {
    expect(problems({ ...BASE, DRAFTBRIDGE_CRM: 'dynamics' }).sort()).toEqual([
      'DATAVERSE_CLIENT_ID',
      'DATAVERSE_CLIENT_SECRET',
      'DATAVERSE_TENANT_ID',
      'DATAVERSE_URL',
      'DATAVERSE_WEBHOOK_KEY',
    ]);
    const dv = {
      ...BASE,
      DRAFTBRIDGE_CRM: 'dynamics',
      DATAVERSE_URL: 'https://contoso.crm4.dynamics.com',
      DATAVERSE_TENANT_ID: 't',
      DATAVERSE_CLIENT_ID: 'c',
      DATAVERSE_CLIENT_SECRET: 's',
      DATAVERSE_WEBHOOK_KEY: 'k'.repeat(32),
    };
    expect(problems(dv)).toEqual([]);
    expect(loadSettings(dv).DATAVERSE_AUTHORITY_HOST).toBe('https://login.microsoftonline.com');
    expect(
      problems({ ...dv, DATAVERSE_WEBHOOK_KEY: 'short', DATAVERSE_WEBHOOK_HEADER: 'x bad' }).sort(),
    ).toEqual(['DATAVERSE_WEBHOOK_HEADER', 'DATAVERSE_WEBHOOK_KEY']);
  });
});
