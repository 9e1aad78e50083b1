import { z } from 'zod';
import { serviceAccountKeyProblem } from './gmail-key.ts';
import { isClusterUrl, parseClusterUrl } from './redis.ts';

/**
 * The environment contract (README: Configuration), parsed once at start. Anything invalid stops the process
 * before it listens, with one message naming every bad variable (see `describeSettingsError`).
 */

const base64Key = z.string().refine((v) => {
  const buf = Buffer.from(v, 'base64');
  return buf.length >= 32 && buf.toString('base64').replace(/=+$/, '') === v.replace(/=+$/, '');
}, 'must be base64 of at least 32 random bytes (openssl rand -base64 32)');

const optionalUrl = z.url().optional();

const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .optional()
  .transform((v) => v === '1' || v === 'true');

const port = z.coerce.number().int().min(0).max(65535);

export const SettingsSchema = z.object({
  REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .refine(
      (v) => /^rediss?:\/\//.test(v) || isClusterUrl(v),
      'must start with redis://, rediss://, redis+cluster:// or rediss+cluster://',
    )
    .refine(
      (v) => !isClusterUrl(v) || parseClusterUrl(v) !== null,
      'a cluster URL lists seed nodes: redis+cluster://[user:pass@]host:port,host:port',
    )
    .refine(
      (v) => isClusterUrl(v) || URL.canParse(v),
      'is not a valid URL (like redis://user:password@host:6379/0)',
    ),
  DRAFTBRIDGE_QUEUE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}:.-]+$/, 'letters, digits and _ { } : . - only')
    .default('draftbridge'),
  PORT: port.default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Comma-separated addresses/CIDRs of the reverse proxies whose X-Forwarded-For is believed. */
  DRAFTBRIDGE_TRUSTED_PROXIES: z
    .string()
    .regex(/^[0-9A-Fa-f.:/,\s]+$/, 'comma-separated IP addresses or CIDRs, like 10.0.0.0/8,127.0.0.1')
    .optional(),
  DRAFTBRIDGE_PUBLIC_URL: optionalUrl,
  DRAFTBRIDGE_POLICY: z.string().min(1).default('config/policy.yaml'),
  DRAFTBRIDGE_SANDBOX: flag,
  /** Deprecated: the former all-purpose ops token; now a viewer token. */
  DRAFTBRIDGE_OPS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DRAFTBRIDGE_VIEWER_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DRAFTBRIDGE_OPERATOR_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  DRAFTBRIDGE_DPO_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Entra ID (or any OIDC) issuer, e.g. https://login.microsoftonline.com/{tenant}/v2.0. */
  DRAFTBRIDGE_OIDC_ISSUER: optionalUrl,
  /** The `aud` bearer tokens must carry (the API's client id or application ID URI). */
  DRAFTBRIDGE_OIDC_AUDIENCE: z.string().min(1).optional(),
  /** Browser sign-in client; defaults to the audience (one app registration for API and pages). */
  DRAFTBRIDGE_OIDC_CLIENT_ID: z.string().min(1).optional(),
  DRAFTBRIDGE_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  DRAFTBRIDGE_OPS_USER: z.string().min(1).optional(),
  DRAFTBRIDGE_OPS_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  DRAFTBRIDGE_WORKFLOW_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Which CRM and which mailbox system this deployment serves (one each). */
  DRAFTBRIDGE_CRM: z.enum(['hubspot', 'salesforce', 'dynamics']).default('hubspot'),
  DRAFTBRIDGE_MAIL: z.enum(['graph', 'gmail', 'ews']).default('graph'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  HUBSPOT_CLIENT_SECRET: z.string().min(1).optional(),
  HUBSPOT_ACCESS_TOKEN: z.string().min(1).optional(),
  HUBSPOT_BASE_URL: z.url().default('https://api.hubapi.com'),

  SALESFORCE_LOGIN_URL: z.url().default('https://login.salesforce.com'),
  SALESFORCE_CLIENT_ID: z.string().min(1).optional(),
  SALESFORCE_CLIENT_SECRET: z.string().min(1).optional(),
  SALESFORCE_USERNAME: z.string().min(3).optional(),
  /** PEM text or the path of a PEM file (JWT bearer flow). */
  SALESFORCE_PRIVATE_KEY: z.string().min(1).optional(),
  SALESFORCE_API_VERSION: z
    .string()
    .regex(/^\d{2,3}\.0$/, 'like 62.0')
    .default('62.0'),
  SALESFORCE_ORG_ID: z
    .string()
    .regex(/^00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?$/, 'a 15- or 18-character org id starting with 00D')
    .optional(),

  DATAVERSE_URL: optionalUrl,
  DATAVERSE_TENANT_ID: z.string().min(1).optional(),
  DATAVERSE_CLIENT_ID: z.string().min(1).optional(),
  DATAVERSE_CLIENT_SECRET: z.string().min(1).optional(),
  DATAVERSE_AUTHORITY_HOST: z
    .url()
    .refine(
      (v) => v.startsWith('https://'),
      'must be https:// (Entra ID and MSAL accept no http authority), like https://login.microsoftonline.com',
    )
    .default('https://login.microsoftonline.com'),
  DATAVERSE_WEBHOOK_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
  /** HttpHeader auth: the header name registered with the service endpoint (its value is DATAVERSE_WEBHOOK_KEY). */
  DATAVERSE_WEBHOOK_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name')
    .optional(),

  GRAPH_TENANT_ID: z.string().min(1).optional(),
  GRAPH_CLIENT_ID: z.string().min(1).optional(),
  GRAPH_CLIENT_SECRET: z.string().min(1).optional(),
  GRAPH_BASE_URL: z.url().default('https://graph.microsoft.com/v1.0'),
  GRAPH_AUTHORITY_HOST: z
    .url()
    .refine(
      (v) => v.startsWith('https://'),
      'must be https:// (Entra ID and MSAL accept no http authority), like https://login.microsoftonline.com',
    )
    .default('https://login.microsoftonline.com'),
  GRAPH_NOTIFICATION_URL: optionalUrl,
  GRAPH_CLIENT_STATE: z
    .string()
    .min(16, 'must be at least 16 characters')
    .max(128, 'at most 128 characters')
    .optional(),

  /** Gmail: a service-account key (file path or the JSON itself) with domain-wide delegation. */
  GMAIL_SERVICE_ACCOUNT_KEY: z.string().min(1).optional(),
  GMAIL_API_ROOT_URL: z.url().default('https://gmail.googleapis.com/'),
  // Google Calendar (free/busy and bookings for Gmail users) is served from the shared Google APIs host.
  GOOGLE_CALENDAR_ROOT_URL: z.url().default('https://www.googleapis.com/'),
  GOOGLE_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  GOOGLE_CERTS_URL: z.url().default('https://www.googleapis.com/oauth2/v1/certs'),
  GMAIL_PUBSUB_TOPIC: z
    .string()
    .regex(/^projects\/[^/]+\/topics\/[^/]+$/, 'like projects/<project>/topics/<topic>')
    .optional(),
  GMAIL_PUSH_AUDIENCE: z.string().min(1).optional(),
  GMAIL_PUSH_SERVICE_ACCOUNT: z.email().optional(),

  /** Exchange Server on premises (DRAFTBRIDGE_MAIL=ews): https://…/EWS/Exchange.asmx and the service account. */
  EWS_URL: optionalUrl.refine(
    (v) => v === undefined || v.startsWith('https://'),
    'must be https:// (credentials never go over plain http)',
  ),
  EWS_AUTH: z.enum(['ntlm', 'basic', 'oauth']).default('ntlm'),
  EWS_USERNAME: z.string().min(1).optional(),
  EWS_PASSWORD: z.string().min(1).optional(),
  EWS_DOMAIN: z.string().min(1).optional(),
  /** EWS_AUTH=oauth (hybrid modern auth): client-credentials grant at this token endpoint. */
  EWS_OAUTH_TOKEN_URL: optionalUrl,
  EWS_OAUTH_CLIENT_ID: z.string().min(1).optional(),
  EWS_OAUTH_CLIENT_SECRET: z.string().min(1).optional(),
  EWS_OAUTH_SCOPE: z.string().min(1).optional(),
  /** How often the pull subscriptions are read (approval, rejection, reply). */
  EWS_POLL_INTERVAL_MS: z.coerce.number().int().min(200).max(600_000).default(10_000),
  /** The mailbox `doctor` checks impersonation, folders and free/busy against. */
  EWS_DOCTOR_MAILBOX: z.email().optional(),

  AZURE_OPENAI_ENDPOINT: optionalUrl,
  AZURE_OPENAI_API_KEY: z.string().min(1).optional(),
  AZURE_OPENAI_DEPLOYMENT: z.string().min(1).optional(),
  AZURE_OPENAI_API_VERSION: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}(-preview)?$/, 'like 2024-10-21')
    .default('2024-10-21'),
  AZURE_OPENAI_REGION: z.string().min(1).optional(),

  LOCAL_LLM_BASE_URL: optionalUrl,
  LOCAL_LLM_MODEL: z.string().min(1).optional(),

  /** The eu route's provider when the policy names none (docs/llm-providers.md). */
  DRAFTBRIDGE_LLM: z.enum(['azure', 'bedrock', 'vertex', 'openai', 'mistral']).default('azure'),
  /** AWS Bedrock: credentials come from the AWS default chain (env, web identity, instance role). */
  AWS_REGION: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region like eu-central-1')
    .optional(),
  BEDROCK_MODEL_ID: z.string().min(1).optional(),
  BEDROCK_ENDPOINT_URL: optionalUrl,
  /** Google Vertex AI: ADC, or a service-account key (path or JSON) in GOOGLE_APPLICATION_CREDENTIALS. */
  GOOGLE_CLOUD_PROJECT: z.string().min(1).optional(),
  GOOGLE_APPLICATION_CREDENTIALS: z.string().min(1).optional(),
  VERTEX_LOCATION: z.string().min(1).optional(),
  VERTEX_MODEL: z.string().min(1).optional(),
  VERTEX_BASE_URL: optionalUrl,
  /** OpenAI with EU data residency: the EU host is the default, the global host is refused. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().default('https://eu.api.openai.com/v1'),
  OPENAI_MODEL: z.string().min(1).optional(),
  OPENAI_PROJECT: z.string().min(1).optional(),
  /** Mistral's EU-hosted API. */
  MISTRAL_API_KEY: z.string().min(1).optional(),
  MISTRAL_MODEL: z.string().min(1).optional(),
  MISTRAL_BASE_URL: z.url().default('https://api.mistral.ai'),

  DRAFTBRIDGE_VAULT_KEY: base64Key.optional(),
  DRAFTBRIDGE_AUDIT_KEY: base64Key.optional(),
  /** Comma-separated former vault keys: still decrypt, never encrypt (key rotation). */
  DRAFTBRIDGE_VAULT_PREVIOUS_KEYS: z
    .string()
    .optional()
    .transform((v) =>
      v
        ? v
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean)
        : [],
    )
    .pipe(z.array(base64Key)),
});

/** Credentials each CRM or mailbox system needs outside the sandbox. */
const REQUIRED_FOR: Record<string, readonly string[]> = {
  hubspot: ['HUBSPOT_CLIENT_SECRET', 'HUBSPOT_ACCESS_TOKEN'],
  // Plus SALESFORCE_CLIENT_SECRET, or SALESFORCE_USERNAME and SALESFORCE_PRIVATE_KEY (checked below).
  salesforce: ['SALESFORCE_CLIENT_ID', 'SALESFORCE_ORG_ID'],
  dynamics: [
    'DATAVERSE_URL',
    'DATAVERSE_TENANT_ID',
    'DATAVERSE_CLIENT_ID',
    'DATAVERSE_CLIENT_SECRET',
    'DATAVERSE_WEBHOOK_KEY',
  ],
  graph: ['GRAPH_TENANT_ID', 'GRAPH_CLIENT_ID', 'GRAPH_CLIENT_SECRET'],
  gmail: [
    'GMAIL_SERVICE_ACCOUNT_KEY',
    'GMAIL_PUBSUB_TOPIC',
    'GMAIL_PUSH_AUDIENCE',
    'GMAIL_PUSH_SERVICE_ACCOUNT',
  ],
  // Plus the credentials of EWS_AUTH (checked below).
  ews: ['EWS_URL'],
};

/** What each EWS_AUTH needs. */
const EWS_AUTH_REQUIRES: Record<string, readonly string[]> = {
  ntlm: ['EWS_USERNAME', 'EWS_PASSWORD'],
  basic: ['EWS_USERNAME', 'EWS_PASSWORD'],
  oauth: ['EWS_OAUTH_TOKEN_URL', 'EWS_OAUTH_CLIENT_ID', 'EWS_OAUTH_CLIENT_SECRET'],
};

/** The setting that names each LLM provider's model or endpoint (the one to set first). */
const LLM_REQUIRED: Record<string, string> = {
  azure: 'AZURE_OPENAI_ENDPOINT',
  bedrock: 'BEDROCK_MODEL_ID',
  vertex: 'VERTEX_MODEL',
  openai: 'OPENAI_API_KEY',
  mistral: 'MISTRAL_API_KEY',
};

/**
 * Cross-variable rules, checked on the raw environment so they are reported together with every
 * per-variable problem (zod skips refinements once a field failed).
 */
function crossVariableProblems(env: Record<string, string>): string[] {
  const problems: string[] = [];
  const sandbox = env.DRAFTBRIDGE_SANDBOX === '1' || env.DRAFTBRIDGE_SANDBOX === 'true';
  // Outside the sandbox, the secrets that protect personal data must be real.
  if (!sandbox) {
    // Without these the workers cannot reach the CRM or Outlook: say so now, not at the first job.
    // Only the chosen CRM's and mailbox system's credentials are required.
    const crm = env.DRAFTBRIDGE_CRM ?? 'hubspot';
    const mail = env.DRAFTBRIDGE_MAIL ?? 'graph';
    const required = [
      'DRAFTBRIDGE_VAULT_KEY',
      'DRAFTBRIDGE_AUDIT_KEY',
      ...(REQUIRED_FOR[crm] ?? []),
      ...(REQUIRED_FOR[mail] ?? []),
    ];
    for (const key of required) {
      if (!env[key]) problems.push(`${key}: is required unless DRAFTBRIDGE_SANDBOX=1`);
    }
    if (
      crm === 'salesforce' &&
      !env.SALESFORCE_CLIENT_SECRET &&
      !(env.SALESFORCE_USERNAME && env.SALESFORCE_PRIVATE_KEY)
    ) {
      problems.push(
        'SALESFORCE_CLIENT_SECRET: is required (or SALESFORCE_USERNAME and SALESFORCE_PRIVATE_KEY for the JWT bearer flow) unless DRAFTBRIDGE_SANDBOX=1',
      );
    }
    if (mail === 'ews') {
      const auth = env.EWS_AUTH ?? 'ntlm';
      for (const key of EWS_AUTH_REQUIRES[auth] ?? [])
        if (!env[key])
          problems.push(`${key}: is required with EWS_AUTH=${auth} unless DRAFTBRIDGE_SANDBOX=1`);
    }
    // Which settings each route's provider needs is checked with the policy (llmSettingsProblems).
    const llmSet = [
      'AZURE_OPENAI_ENDPOINT',
      'LOCAL_LLM_BASE_URL',
      'BEDROCK_MODEL_ID',
      'VERTEX_MODEL',
      'OPENAI_API_KEY',
      'MISTRAL_API_KEY',
    ].some((k) => env[k]);
    if (!llmSet)
      problems.push(
        `${LLM_REQUIRED[env.DRAFTBRIDGE_LLM ?? 'azure'] ?? 'AZURE_OPENAI_ENDPOINT'}: an LLM is required (or LOCAL_LLM_BASE_URL) unless DRAFTBRIDGE_SANDBOX=1`,
      );
  }
  if (env.AZURE_OPENAI_ENDPOINT) {
    for (const key of ['AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_DEPLOYMENT'])
      if (!env[key]) problems.push(`${key}: is required when AZURE_OPENAI_ENDPOINT is set`);
  }
  if ((env.DRAFTBRIDGE_MAIL ?? 'graph') === 'gmail' && env.GMAIL_SERVICE_ACCOUNT_KEY) {
    const keyProblem = serviceAccountKeyProblem(env.GMAIL_SERVICE_ACCOUNT_KEY);
    if (keyProblem) problems.push(`GMAIL_SERVICE_ACCOUNT_KEY: ${keyProblem}`);
  }
  if (env.GOOGLE_APPLICATION_CREDENTIALS && env.VERTEX_MODEL) {
    const keyProblem = serviceAccountKeyProblem(env.GOOGLE_APPLICATION_CREDENTIALS);
    if (keyProblem) problems.push(`GOOGLE_APPLICATION_CREDENTIALS: ${keyProblem}`);
  }
  if (env.LOCAL_LLM_BASE_URL && !env.LOCAL_LLM_MODEL)
    problems.push('LOCAL_LLM_MODEL: is required when LOCAL_LLM_BASE_URL is set');
  if (env.DRAFTBRIDGE_OIDC_ISSUER && !env.DRAFTBRIDGE_OIDC_AUDIENCE)
    problems.push('DRAFTBRIDGE_OIDC_AUDIENCE: is required when DRAFTBRIDGE_OIDC_ISSUER is set');
  if (env.SALESFORCE_USERNAME && !env.SALESFORCE_PRIVATE_KEY)
    problems.push('SALESFORCE_PRIVATE_KEY: is required when SALESFORCE_USERNAME is set (JWT bearer flow)');
  // On a cluster every key of one deployment (BullMQ's and ours) must share one hash slot, or BullMQ's
  // multi-key scripts fail with CROSSSLOT: the prefix's {hash tag} is what puts them there.
  if (
    env.REDIS_URL &&
    isClusterUrl(env.REDIS_URL) &&
    !hasHashTag(env.DRAFTBRIDGE_QUEUE_PREFIX ?? 'draftbridge')
  ) {
    problems.push(
      'DRAFTBRIDGE_QUEUE_PREFIX: on a Redis Cluster the prefix needs a hash tag so all keys share one slot, e.g. {draftbridge}',
    );
  }
  if (env.DRAFTBRIDGE_OPS_USER && !env.DRAFTBRIDGE_OPS_PASSWORD)
    problems.push('DRAFTBRIDGE_OPS_PASSWORD: is required when DRAFTBRIDGE_OPS_USER is set');
  return problems;
}

/** Redis Cluster hashes only the part between the first `{` and the next `}`, when that is not empty. */
export function hasHashTag(prefix: string): boolean {
  return /^[^{]*\{[^}]+\}/.test(prefix);
}

export type Settings = z.output<typeof SettingsSchema> & { publicUrl: string };

export class SettingsError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SettingsError';
    this.problems = problems;
  }
}

/** Parses the environment; throws SettingsError listing every bad variable. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  // An empty variable means "not set" (compose files and .env templates leave them blank).
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = SettingsSchema.safeParse(cleaned);
  const crossProblems = crossVariableProblems(cleaned as Record<string, string>);
  if (!result.success || crossProblems.length > 0) {
    const problems = (result.error?.issues ?? []).map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const given = issue.path.length > 0 && cleaned[String(issue.path[0])] !== undefined;
      const message =
        issue.code === 'invalid_type' && !given
          ? 'is required'
          : issue.code === 'invalid_type'
            ? 'has the wrong type (expected a number?)'
            : issue.message;
      return `${name}: ${message}`;
    });
    throw new SettingsError([...problems, ...crossProblems]);
  }
  const s = result.data;
  const publicUrl = (
    s.DRAFTBRIDGE_PUBLIC_URL ?? `http://${s.HOST.includes(':') ? `[${s.HOST}]` : s.HOST}:${s.PORT}`
  ).replace(/\/+$/, '');
  return { ...s, publicUrl };
}
