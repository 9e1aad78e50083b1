import type { LlmProvider } from '../../src/policy.ts';
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
  bedrock: { model: 'BEDROCK_MODEL_ID', credentials: 'AWS credentials (default chain)', label: 'AWS Bedrock' },
  vertex: { model: 'VERTEX_MODEL', credentials: 'GOOGLE_APPLICATION_CREDENTIALS', label: 'Google Vertex AI' },
  openai: { model: 'OPENAI_MODEL', credentials: 'OPENAI_API_KEY', label: 'OpenAI (EU)' },
  mistral: { model: 'MISTRAL_MODEL', credentials: 'MISTRAL_API_KEY', label: 'Mistral' },
  local: { model: 'LOCAL_LLM_MODEL', credentials: 'LOCAL_LLM_BASE_URL', label: 'local model' },
};

const PROBE = { system: 'Answer as JSON with subject, body and language ("en").', user: 'Write the subject "ok" and the body "ok".', maxTokens: 64 };

export async function checkLlmProvider(provider: LlmProvider, settings: Settings, timeoutMs = 15_000): Promise<LlmCheck> {
  const { model, credentials, label } = SETTINGS[provider];
  let client;
  try {
    client = await clientFor(provider, settings, timeoutMs);
  } catch (err) {
    return { name: label, ok: false, detail: `cannot configure: ${err instanceof Error ? err.message : String(err)}`, setting: model };
  }
  if (!client) return { name: label, ok: false, detail: 'not configured', setting: model };
  const where = `${client.model}${client.region ? ` in ${client.region}` : ''}`;
  try {
    await client.complete({ ...PROBE, timeoutMs });
    return { name: label, ok: true, detail: `${where} answered`, setting: model };
  } catch (err) {
    if (!(err instanceof ProviderError)) return { name: label, ok: false, detail: `${where}: ${err instanceof Error ? err.message : String(err)}`, setting: model };
    switch (err.kind) {
      // The model was reached with these credentials; only the probe's answer was cut or throttled.
      case 'truncated':
      case 'throttled':
      case 'filtered':
      case 'unusable':
        return { name: label, ok: true, detail: `${where} reachable (${err.kind})`, setting: model };
      case 'rejected':
        return { name: label, ok: false, detail: `${where} refused the call (${err.status ?? '4xx'}): check the credentials and the model`, setting: err.status === 401 || err.status === 403 ? credentials : model };
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
