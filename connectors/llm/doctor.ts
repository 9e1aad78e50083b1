import { AzureOpenAI } from 'openai';
import { hostOf, networkReason } from '../../src/errors.ts';
import {
  allowedRegionsFor,
  llmResidencyProblems,
  llmRouteProviders,
  routesInUse,
} from '../../src/llm-residency.ts';
import type { LlmProvider } from '../../src/policy.ts';
import type { DoctorCheck, DoctorContext } from '../../src/ports.ts';
import type { Settings } from '../../src/settings.ts';
import { clientFor } from './connector.ts';
import { ProviderError } from './provider.ts';

/**
 * `draftbridge doctor` checks, one per LLM provider: are its settings there, and does one tiny call
 * through its SDK reach the model with these credentials? (Region and residency refusals are
 * `llmResidencyProblems` in src/llm-residency.ts, which doctor prints beside these.) A check never
 * sends personal data: its prompt is a fixed sentence.
 */
export interface LlmCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** The setting to change when the check fails. */
  setting: string;
}

/** The setting that names each provider's model or endpoint, and the one holding its credentials. */
const SETTINGS: Record<LlmProvider, { model: string; credentials: string; label: string }> = {
  azure: { model: 'AZURE_OPENAI_DEPLOYMENT', credentials: 'AZURE_OPENAI_API_KEY', label: 'Azure OpenAI' },
  bedrock: {
    model: 'BEDROCK_MODEL_ID',
    credentials: 'AWS credentials (default chain)',
    label: 'AWS Bedrock',
  },
  vertex: { model: 'VERTEX_MODEL', credentials: 'GOOGLE_APPLICATION_CREDENTIALS', label: 'Google Vertex AI' },
  openai: { model: 'OPENAI_MODEL', credentials: 'OPENAI_API_KEY', label: 'OpenAI (EU)' },
  mistral: { model: 'MISTRAL_MODEL', credentials: 'MISTRAL_API_KEY', label: 'Mistral' },
  local: { model: 'LOCAL_LLM_MODEL', credentials: 'LOCAL_LLM_BASE_URL', label: 'local model' },
};

const PROBE = {
  system: 'Answer as JSON with subject, body and language ("en").',
  user: 'Write the subject "ok" and the body "ok".',
  maxTokens: 64,
};

export async function checkLlmProvider(
  provider: LlmProvider,
  settings: Settings,
  timeoutMs = 15_000,
): Promise<LlmCheck> {
  const { model, credentials, label } = SETTINGS[provider];
  let client;
  try {
    client = await clientFor(provider, settings, timeoutMs);
  } catch (err) {
    return {
      name: label,
      ok: false,
      detail: `cannot configure: ${err instanceof Error ? err.message : String(err)}`,
      setting: model,
    };
  }
  if (!client) return { name: label, ok: false, detail: 'not configured', setting: model };
  const where = `${client.model}${client.region ? ` in ${client.region}` : ''}`;
  try {
    await client.complete({ ...PROBE, timeoutMs });
    return { name: label, ok: true, detail: `${where} answered`, setting: model };
  } catch (err) {
    if (!(err instanceof ProviderError))
      return {
        name: label,
        ok: false,
        detail: `${where}: ${err instanceof Error ? err.message : String(err)}`,
        setting: model,
      };
    switch (err.kind) {
      // The model was reached with these credentials; only the probe's answer was cut or throttled.
      case 'truncated':
      case 'throttled':
      case 'filtered':
      case 'unusable':
        return { name: label, ok: true, detail: `${where} reachable (${err.kind})`, setting: model };
      case 'rejected':
        return {
          name: label,
          ok: false,
          detail: `${where} refused the call (${err.status ?? '4xx'}): check the credentials and the model`,
          setting: err.status === 401 || err.status === 403 ? credentials : model,
        };
      default:
        return { name: label, ok: false, detail: `${where} unreachable: ${err.message}`, setting: model };
    }
  }
}

export const checkAzure = (settings: Settings) => checkLlmProvider('azure', settings);
export const checkBedrock = (settings: Settings) => checkLlmProvider('bedrock', settings);
export const checkVertex = (settings: Settings) => checkLlmProvider('vertex', settings);
export const checkOpenAiEu = (settings: Settings) => checkLlmProvider('openai', settings);
export const checkMistral = (settings: Settings) => checkLlmProvider('mistral', settings);
export const checkLocalLlm = (settings: Settings) => checkLlmProvider('local', settings);

/**
 * The doctor's LLM rows: the residency refusals (a non-EU region, profile, location or host), then
 * per route in use one tiny call through its provider's SDK, and for Azure the region that served it
 * (`x-ms-region`) against the policy: a Global deployment fails here even when the variable says EU.
 */
export async function llmDoctor(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const { settings, policy } = ctx;
  const rows: DoctorCheck[] = llmResidencyProblems(settings, policy).map((problem) => ({
    name: 'LLM residency',
    ok: false,
    detail: problem,
    setting: problem.split(':')[0],
  }));
  const inUse = routesInUse(policy);
  for (const [route, provider] of Object.entries(llmRouteProviders(settings, policy))) {
    if (!inUse.has(route)) continue;
    if (provider === 'azure' && settings.AZURE_OPENAI_ENDPOINT) rows.push(...(await azureRows(ctx)));
    else {
      const check = await checkLlmProvider(provider, settings, ctx.timeoutMs);
      rows.push({
        name: `LLM ${route}`,
        ok: check.ok,
        detail: `${check.name}: ${check.detail}`,
        setting: check.setting,
      });
    }
  }
  return rows;
}

const PROMPT = [{ role: 'user' as const, content: 'Reply with OK.' }];

async function azureRows(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const { settings, policy } = ctx;
  const endpoint = settings.AZURE_OPENAI_ENDPOINT ?? '';
  const deployment = settings.AZURE_OPENAI_DEPLOYMENT ?? '';
  const client = new AzureOpenAI({
    endpoint,
    apiVersion: settings.AZURE_OPENAI_API_VERSION,
    deployment,
    apiKey: settings.AZURE_OPENAI_API_KEY ?? '',
    maxRetries: 0,
    timeout: ctx.timeoutMs,
    baseURL: null,
    project: null,
  });
  try {
    const { response } = await client.chat.completions
      .create({ model: deployment, messages: PROMPT, max_tokens: 5 })
      .withResponse();
    return [
      { name: 'LLM eu', ok: true, detail: `deployment ${deployment} on ${hostOf(endpoint)} answered` },
      regionRow(
        response.headers.get('x-ms-region'),
        settings.AZURE_OPENAI_REGION,
        allowedRegionsFor(policy, 'azure'),
      ),
    ];
  } catch (err) {
    return [
      llmProblem('eu', err, endpoint, {
        auth: 'AZURE_OPENAI_API_KEY',
        model: 'AZURE_OPENAI_DEPLOYMENT',
        url: 'AZURE_OPENAI_ENDPOINT',
      }),
    ];
  }
}

/** "Sweden Central" → "swedencentral", as policy and AZURE_OPENAI_REGION name regions. */
const regionKey = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

function regionRow(
  served: string | null,
  configured: string | undefined,
  allowed: readonly string[],
): DoctorCheck {
  const allowedKeys = allowed.map(regionKey);
  if (!served)
    return {
      name: 'LLM region',
      ok: Boolean(configured && allowedKeys.includes(regionKey(configured))),
      detail: `the deployment does not name its region; AZURE_OPENAI_REGION=${configured ?? '(unset)'} is taken as given`,
      setting: 'AZURE_OPENAI_REGION',
    };
  if (!allowedKeys.includes(regionKey(served))) {
    return {
      name: 'LLM region',
      ok: false,
      detail: `the deployment answered from ${served}, not on the policy's llm.allowedRegions: use a Standard or Data Zone (EU) deployment in an EU region`,
      setting: 'AZURE_OPENAI_ENDPOINT',
    };
  }
  if (configured && regionKey(configured) !== regionKey(served)) {
    return {
      name: 'LLM region',
      ok: false,
      detail: `the deployment answered from ${served} but AZURE_OPENAI_REGION says ${configured}`,
      setting: 'AZURE_OPENAI_REGION',
    };
  }
  return { name: 'LLM region', ok: true, detail: `served from ${served} (allowed)` };
}

function llmProblem(
  route: string,
  err: unknown,
  url: string,
  names: { auth: string; model: string; url: string },
): DoctorCheck {
  const status = (err as { status?: unknown }).status;
  const name = `LLM ${route}`;
  if (status === 401 || status === 403)
    return { name, ok: false, detail: `${hostOf(url)} refused the key (${status})`, setting: names.auth };
  if (status === 404)
    return {
      name,
      ok: false,
      detail: `${hostOf(url)} has no such deployment or model (404)`,
      setting: names.model,
    };
  const reason =
    networkReason(err) ??
    (typeof status === 'number' ? `HTTP ${status}` : err instanceof Error ? err.message : String(err));
  return { name, ok: false, detail: `${hostOf(url)} not reachable (${reason})`, setting: names.url };
}
