import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parsePolicy, PolicyError } from '../../src/policy.ts';
import { loadSettings, SettingsError } from '../../src/settings.ts';

const run = promisify(execFile);
const cli = new URL('../../src/cli.ts', import.meta.url).pathname;
const policyText = readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8');

function settingsProblems(env: Record<string, string>): string[] {
  try {
    loadSettings(env);
    return [];
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
}

describe('settings', () => {
  it('names every bad variable at once', () => {
    const problems = settingsProblems({
      PORT: 'eighty',
      REDIS_URL: 'http://127.0.0.1',
      DRAFTBRIDGE_VAULT_KEY: 'short',
      GRAPH_CLIENT_STATE: 'x'.repeat(200),
    });
    const names = problems.map((p) => p.split(':')[0]);
    expect(names).toEqual(
      expect.arrayContaining([
        'PORT',
        'REDIS_URL',
        'DRAFTBRIDGE_VAULT_KEY',
        'GRAPH_CLIENT_STATE',
        'DRAFTBRIDGE_AUDIT_KEY',
        'HUBSPOT_CLIENT_SECRET',
        'HUBSPOT_ACCESS_TOKEN',
        'GRAPH_TENANT_ID',
        'AZURE_OPENAI_ENDPOINT',
      ]),
    );
    expect(
      settingsProblems({ DRAFTBRIDGE_SANDBOX: '1', AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com' }).map(
        (p) => p.split(':')[0],
      ),
    ).toEqual(['AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_DEPLOYMENT']);
  });

  it('applies the documented defaults and derives the public URL', () => {
    const s = loadSettings({ DRAFTBRIDGE_SANDBOX: '1' });
    expect(s).toMatchObject({
      REDIS_URL: 'redis://127.0.0.1:6379',
      DRAFTBRIDGE_QUEUE_PREFIX: 'draftbridge',
      PORT: 3000,
      HOST: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:3000',
      GRAPH_BASE_URL: 'https://graph.microsoft.com/v1.0',
    });
    expect(
      loadSettings({
        DRAFTBRIDGE_SANDBOX: '1',
        REDIS_URL: 'rediss://:secret@cache.redis.test:6380',
        DRAFTBRIDGE_QUEUE_PREFIX: '{draftbridge}',
      }).DRAFTBRIDGE_QUEUE_PREFIX,
    ).toBe('{draftbridge}');
  });
});

describe('policy', () => {
  it('loads the default policy with both default triggers', () => {
    const p = parsePolicy(policyText);
    expect(p.triggers).toEqual([
      {
        event: 'contact.propertyChange',
        property: 'callback_requested',
        value: 'true',
        flow: 'callback',
        objectTypes: ['contact', 'lead'],
      },
      { event: 'contact.creation', flow: 'new_lead', objectTypes: ['contact', 'lead'] },
    ]);
    expect(p.flows.callback!.delivery).toBe('review');
    expect(p.retention.vault).toBe(86_400_000);
  });

  it('reports schema errors with file, line and column', () => {
    const broken = policyText
      .replace('delivery: review           # review', 'delivery: sometimes        # review')
      .replace('vault: 24h', 'vault: 24 hours');
    try {
      parsePolicy(broken, 'config/policy.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      const problems = (err as PolicyError).problems;
      const deliveryLine = broken.split('\n').findIndex((l) => l.includes('delivery: sometimes')) + 1;
      expect(problems.find((p) => p.includes('flows.callback.delivery'))).toMatch(
        new RegExp(`^config/policy\\.yaml:${deliveryLine}:\\d+: `),
      );
      expect(problems.some((p) => p.includes('retention.vault') && p.includes('duration'))).toBe(true);
    }
  });

  it('reports YAML syntax errors and dangling flow references with positions', () => {
    expect(() => parsePolicy('version: 1\ntriggers: [\n', 'p.yaml')).toThrow(/p\.yaml:\d+:\d+/);
    const dangling = policyText.replace('flow: new_lead', 'flow: nowhere');
    expect(() => parsePolicy(dangling, 'p.yaml')).toThrow(/triggers\.1\.flow: no flow named "nowhere"/);
  });
});

describe('draftbridge config check', () => {
  it('prints one message naming each bad variable, no stack trace, exit 1', async () => {
    const env = {
      PATH: process.env.PATH ?? '',
      PORT: 'eighty',
      AZURE_OPENAI_REGION: 'eastus',
      DRAFTBRIDGE_SANDBOX: '1',
    };
    const failure = await run(process.execPath, [cli, 'config', 'check'], { env }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain('PORT');
    expect(failure?.stderr).not.toMatch(/\n\s+at /);
    // The region is reported in the same run as every other bad variable, under one heading.
    expect(failure?.stderr).toMatch(/AZURE_OPENAI_REGION: "eastus" is not on the policy's allowedRegions/);
    expect(failure?.stderr.match(/invalid configuration/g)).toHaveLength(1);
    const region = await run(process.execPath, [cli, 'config', 'check'], {
      env: { ...env, PORT: '3000' },
    }).catch((e: { stderr: string }) => e);
    expect((region as { stderr: string }).stderr).toMatch(
      /AZURE_OPENAI_REGION: "eastus" is not on the policy's allowedRegions/,
    );
  });

  it('refuses a REDIS_URL that is not a URL before anything starts', async () => {
    const env = { PATH: process.env.PATH ?? '', DRAFTBRIDGE_SANDBOX: '1', REDIS_URL: 'redis://[bad' };
    for (const args of [
      ['config', 'check'],
      ['serve', 'all'],
    ]) {
      const failure = await run(process.execPath, [cli, ...args], { env, timeout: 20_000 }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(failure?.code).toBe(1);
      expect(failure?.stderr).toContain('REDIS_URL: is not a valid URL');
      expect(failure?.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('succeeds on the sandbox defaults', async () => {
    const { stdout } = await run(process.execPath, [cli, 'config', 'check'], {
      env: { PATH: process.env.PATH ?? '', DRAFTBRIDGE_SANDBOX: '1' },
    });
    expect(stdout).toMatch(/configuration ok/);
  });
});

describe('CRM field names', () => {
  it('maps logical fields to each CRM and back, with policy overrides per record kind', async () => {
    const { CrmFields, unmappedFields } = await import('../../src/crm-fields.ts');
    const sf = new CrmFields('salesforce', 'lead', { salesforce: { lead: { message: 'Lead_Message__c' } } });
    expect(sf.namesOf(['email', 'company', 'message'])).toEqual(['Email', 'Company', 'Lead_Message__c']);
    expect(
      sf.toLogical({ Email: 'a@example.com', Company: 'Beispiel GmbH' }, ['email', 'company', 'message']),
    ).toEqual({ email: 'a@example.com', company: 'Beispiel GmbH', message: null });
    expect(new CrmFields('salesforce', 'contact').name('company')).toBe('Account.Name');
    expect(new CrmFields('dynamics', 'contact').toCrm({ status: 'sent', opt_out: 'true' })).toEqual({
      new_draftbridgestatus: 'sent',
      new_draftbridgeoptout: 'true',
    });
    expect(new CrmFields('hubspot', 'contact').logical('callback_notes')).toBe('callback_note');
    expect(unmappedFields('hubspot', {}, ['email', 'shoe_size'])).toEqual([
      'contact.shoe_size',
      'lead.shoe_size',
    ]);
  });

  it('refuses a policy field the deployment CRM cannot name, in config check', async () => {
    const { fieldMapProblem } = await import('../../src/cli/config-check.ts');
    const policy = parsePolicy(
      policyText.replace(
        'fields: [firstname, lastname, email, salutation, language, company, jobtitle, phone, owner, callback_note]',
        'fields: [email, owner, shoe_size]',
      ),
    );
    const settings = loadSettings({ DRAFTBRIDGE_SANDBOX: '1', DRAFTBRIDGE_CRM: 'salesforce' });
    expect(fieldMapProblem(settings, policy)).toMatch(
      /salesforce has no field for contact\.shoe_size, lead\.shoe_size/,
    );
    expect(fieldMapProblem(settings, parsePolicy(policyText))).toBeUndefined();
  });
});
