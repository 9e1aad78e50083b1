import type { LlmProvider } from '../../src/policy.ts';
import type { Settings } from '../../src/settings.ts';
import type { Fault, RecordedRequest } from '../support.ts';
import type { SimulatorTls } from '../tls.ts';
import type { DeploymentQuota, QuotaStats } from './simulator.ts';

/**
 * The simulators of the cloud LLM providers besides Azure (which the sandbox always runs: it also
 * serves the local route), started for the providers the deployment's routes use, with the settings
 * that point the connectors at them.
 */

/** What every LLM simulator offers tests: its requests, faults and a provider quota. */
export interface LlmSimulator {
  url: string;
  requests: RecordedRequest[];
  inject(fault: Fault): void;
  clearFaults(): void;
  setQuota(quota: DeploymentQuota | undefined): void;
  quotaStats(): QuotaStats;
  close(): Promise<void>;
}

export type CloudProvider = Exclude<LlmProvider, 'azure' | 'local'>;

export interface LlmProviderSimulators {
  simulators: Partial<Record<CloudProvider, LlmSimulator>>;
  settings: Partial<Settings>;
  close(): Promise<void>;
}

export async function startLlmProviderSimulators(
  providers: readonly LlmProvider[],
  tls: SimulatorTls | undefined,
): Promise<LlmProviderSimulators> {
  const simulators: Partial<Record<CloudProvider, LlmSimulator>> = {};
  let settings: Partial<Settings> = {};
  if (providers.includes('bedrock')) {
    const { startBedrockSimulator } = await import('./bedrock/simulator.ts');
    const sim = await startBedrockSimulator(tls ? { tls } : {});
    simulators.bedrock = sim;
    settings = {
      ...settings,
      AWS_REGION: sim.region,
      BEDROCK_MODEL_ID: sim.models[0]!,
      BEDROCK_ENDPOINT_URL: sim.url,
    };
    // The connector finds credentials through the AWS default chain, whose first link is the environment.
    process.env.AWS_ACCESS_KEY_ID = sim.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = sim.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
  }
  if (providers.includes('openai')) {
    const { startOpenAiSimulator } = await import('./openai/simulator.ts');
    const sim = await startOpenAiSimulator();
    simulators.openai = sim;
    settings = {
      ...settings,
      OPENAI_API_KEY: sim.apiKey,
      OPENAI_PROJECT: sim.project,
      OPENAI_MODEL: sim.models[0]!,
      OPENAI_BASE_URL: `${sim.url}/v1`,
    };
  }
  if (providers.includes('mistral')) {
    const { startMistralSimulator } = await import('./mistral/simulator.ts');
    const sim = await startMistralSimulator();
    simulators.mistral = sim;
    settings = {
      ...settings,
      MISTRAL_API_KEY: sim.apiKey,
      MISTRAL_MODEL: sim.models[0]!,
      MISTRAL_BASE_URL: sim.url,
    };
  }
  if (providers.includes('vertex')) {
    const { startVertexSimulator } = await import('./vertex/simulator.ts');
    const sim = await startVertexSimulator();
    simulators.vertex = sim;
    settings = {
      ...settings,
      GOOGLE_CLOUD_PROJECT: sim.project,
      VERTEX_LOCATION: sim.location,
      VERTEX_MODEL: sim.models[0]!,
      VERTEX_BASE_URL: sim.url,
      GOOGLE_TOKEN_URL: sim.tokenUrl,
      GOOGLE_APPLICATION_CREDENTIALS: sim.serviceAccountKey,
    };
  }
  return {
    simulators,
    settings,
    close: async () => {
      await Promise.all(Object.values(simulators).map((s) => s.close()));
    },
  };
}
