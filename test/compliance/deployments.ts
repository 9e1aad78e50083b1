import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parsePolicy, type Policy } from '../../src/policy.ts';
import { loadSettings, type Settings } from '../../src/settings.ts';

/**
 * Two deployments as an operator would configure them (no sandbox): HubSpot + Outlook (Graph) +
 * Azure OpenAI, and Salesforce + Gmail + a local model. Their policies are the default policy with a
 * few lines changed, each with a `compliance` section.
 */
export const DEFAULT_POLICY_TEXT = readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8');

const keys = () => ({
  DRAFTBRIDGE_VAULT_KEY: randomBytes(32).toString('base64'),
  DRAFTBRIDGE_AUDIT_KEY: randomBytes(32).toString('base64'),
});

export function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const next = text.replace(from, to);
  if (next === text) throw new Error(`policy fixture: ${String(from)} not found`);
  return next;
}

export interface Deployment {
  env: Record<string, string>;
  settings: Settings;
  policyText: string;
  policy: Policy;
}

function deployment(env: Record<string, string>, policyText: string): Deployment {
  return { env, settings: loadSettings(env), policyText, policy: parsePolicy(policyText, 'policy.yaml') };
}

/** HubSpot + Outlook + Azure OpenAI in germanywestcentral; special categories blocked, so no local route. */
export function hubspotOutlookAzure(overrides: Record<string, string> = {}, policyText?: string): Deployment {
  const text =
    policyText ??
    replaceOnce(DEFAULT_POLICY_TEXT, '  health: local\n', '  health: block\n') +
      `
compliance:
  controller: { name: "Beispiel Vertrieb GmbH", address: "Musterstraße 1, 10115 Berlin", contact: "datenschutz@example.com" }
  dpo: { name: "Datenschutzstelle", contact: "dsb@example.com" }
  vendors:
    hubspot: { location: eu, dpa: "HubSpot DPA signed 2026-01-15" }
    graph: { location: westeurope, dpa: "Microsoft Products and Services DPA" }
    azure: { dpa: "Microsoft Products and Services DPA (Azure OpenAI)" }
    hosting: { location: DE, dpa: "own data centre" }
`;
  return deployment(
    {
      DRAFTBRIDGE_CRM: 'hubspot',
      DRAFTBRIDGE_MAIL: 'graph',
      HUBSPOT_CLIENT_SECRET: 'hubspot-client-secret-000',
      HUBSPOT_ACCESS_TOKEN: 'pat-eu1-000',
      GRAPH_TENANT_ID: '00000000-0000-4000-8000-000000000001',
      GRAPH_CLIENT_ID: '00000000-0000-4000-8000-000000000002',
      GRAPH_CLIENT_SECRET: 'graph-secret-000',
      AZURE_OPENAI_ENDPOINT: 'https://beispiel-eu.openai.azure.com/',
      AZURE_OPENAI_API_KEY: 'azure-key-000',
      AZURE_OPENAI_DEPLOYMENT: 'gpt-4o-mini-drafts',
      AZURE_OPENAI_REGION: 'germanywestcentral',
      DRAFTBRIDGE_PUBLIC_URL: 'https://draftbridge.example.com',
      DRAFTBRIDGE_DPO_TOKEN: 'dpo-token-0123456789abcdef',
      REDIS_URL: 'rediss://redis.internal.example.com:6380',
      ...keys(),
      ...overrides,
    },
    text,
  );
}

const SERVICE_ACCOUNT = JSON.stringify({
  type: 'service_account',
  client_email: 'drafts@acme-mail.test',
  private_key: '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n',
});

/** Salesforce + Gmail + a self-hosted model: every flow on the local route, so no Azure at all. */
export function salesforceGmailLocal(overrides: Record<string, string> = {}): Deployment {
  const text =
    DEFAULT_POLICY_TEXT.replaceAll('    llmRoute: eu ', '    llmRoute: local ').replaceAll(
      '    llmRoute: eu\n',
      '    llmRoute: local\n',
    ) +
    `
compliance:
  vendors:
    salesforce: { location: DE, dpa: "Salesforce DPA 2026" }
    gmail: { location: europe-west3 }
    local: { location: DE }
`;
  if (/llmRoute: eu/.test(text)) throw new Error('policy fixture: a flow still uses the eu route');
  return deployment(
    {
      DRAFTBRIDGE_CRM: 'salesforce',
      DRAFTBRIDGE_MAIL: 'gmail',
      SALESFORCE_CLIENT_ID: 'sf-client-id',
      SALESFORCE_CLIENT_SECRET: 'sf-client-secret',
      SALESFORCE_ORG_ID: '00D5g000000abcdEAA',
      GMAIL_SERVICE_ACCOUNT_KEY: SERVICE_ACCOUNT,
      GMAIL_PUBSUB_TOPIC: 'projects/acme-mail/topics/gmail-approvals',
      GMAIL_PUSH_AUDIENCE: 'https://draftbridge.example.com/webhooks/gmail',
      GMAIL_PUSH_SERVICE_ACCOUNT: 'push@acme-mail.test',
      LOCAL_LLM_BASE_URL: 'https://llm.internal.example.com/v1',
      LOCAL_LLM_MODEL: 'llama3.1:8b',
      DRAFTBRIDGE_PUBLIC_URL: 'https://draftbridge.example.com',
      DRAFTBRIDGE_DPO_TOKEN: 'dpo-token-0123456789abcdef',
      ...keys(),
      ...overrides,
    },
    text,
  );
}
