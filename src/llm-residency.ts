import { LlmRoute, routeProvider, type LlmProvider, type Policy } from './policy.ts';
import type { Settings } from './settings.ts';

/**
 * Where each LLM route processes its text, and the refusals that keep it in the EU. Pure functions of
 * settings and policy: `config check` (and doctor) refuse with one line per problem, the record of
 * processing names provider, region and residency per route from `describeLlmRoutes`.
 * Provider facts: docs/llm-providers.md.
 */

/** The settings these rules read; plain strings, so they also run on a raw environment. */
export type LlmSettings = Partial<
  Pick<
    Settings,
    | 'DRAFTBRIDGE_LLM'
    | 'DRAFTBRIDGE_SANDBOX'
    | 'AZURE_OPENAI_ENDPOINT'
    | 'AZURE_OPENAI_API_KEY'
    | 'AZURE_OPENAI_DEPLOYMENT'
    | 'AZURE_OPENAI_REGION'
    | 'LOCAL_LLM_BASE_URL'
    | 'LOCAL_LLM_MODEL'
    | 'AWS_REGION'
    | 'BEDROCK_MODEL_ID'
    | 'GOOGLE_CLOUD_PROJECT'
    | 'VERTEX_LOCATION'
    | 'VERTEX_MODEL'
    | 'OPENAI_API_KEY'
    | 'OPENAI_BASE_URL'
    | 'OPENAI_MODEL'
    | 'MISTRAL_API_KEY'
    | 'MISTRAL_MODEL'
    | 'MISTRAL_BASE_URL'
  >
>;

/**
 * Built-in EU lists for providers the policy's `llm.allowedRegions` does not name: regions in EU
 * member states only (AWS London and Zurich, Google London and Zurich are outside the EU; a policy
 * may still list them explicitly, the structural check below only insists on an `eu-`/`europe-` name).
 */
export const DEFAULT_EU_REGIONS = {
  azure: [
    'swedencentral',
    'germanywestcentral',
    'francecentral',
    'westeurope',
    'northeurope',
    'italynorth',
    'polandcentral',
    'spaincentral',
    'eu',
  ],
  bedrock: ['eu-central-1', 'eu-west-1', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1'],
  vertex: [
    'europe-west1',
    'europe-west3',
    'europe-west4',
    'europe-west8',
    'europe-west9',
    'europe-north1',
    'europe-southwest1',
    'europe-central2',
  ],
} as const;

type RegionalProvider = keyof typeof DEFAULT_EU_REGIONS;

export function allowedRegionsFor(
  policy: Pick<Policy, 'llm'>,
  provider: RegionalProvider,
): readonly string[] {
  return policy.llm.allowedRegions[provider] ?? DEFAULT_EU_REGIONS[provider];
}

/** The route → provider map in force (DRAFTBRIDGE_LLM fills in where the policy names none). */
export function llmRouteProviders(
  settings: LlmSettings,
  policy: Pick<Policy, 'llm'>,
): Record<LlmRoute, LlmProvider> {
  const fallback = settings.DRAFTBRIDGE_LLM ?? 'azure';
  return Object.fromEntries(
    LlmRoute.options.map((route) => [route, routeProvider(policy, route, fallback)]),
  ) as Record<LlmRoute, LlmProvider>;
}

export interface LlmRouteDescription {
  route: LlmRoute;
  provider: LlmProvider;
  /** The provider's region or location; null where the provider has none to choose (OpenAI EU, Mistral, local). */
  region: string | null;
  /** Where the text is processed, in a sentence a DPO can put in the record of processing. */
  residency: string;
}

const PROVIDER_NAMES: Record<LlmProvider, string> = {
  azure: 'Microsoft Azure OpenAI',
  bedrock: 'AWS Bedrock',
  vertex: 'Google Vertex AI',
  openai: 'OpenAI (EU data residency)',
  mistral: 'Mistral AI',
  local: 'local model',
};

export function providerName(provider: LlmProvider): string {
  return PROVIDER_NAMES[provider];
}

/** One entry per policy route: who drafts, in which region, and where the text is processed. */
export function describeLlmRoutes(settings: LlmSettings, policy: Pick<Policy, 'llm'>): LlmRouteDescription[] {
  const providers = llmRouteProviders(settings, policy);
  return LlmRoute.options.map((route) => {
    const provider = providers[route];
    return { route, provider, ...regionAndResidency(provider, settings) };
  });
}

function regionAndResidency(
  provider: LlmProvider,
  s: LlmSettings,
): { region: string | null; residency: string } {
  switch (provider) {
    case 'azure':
      return {
        region: s.AZURE_OPENAI_REGION ?? null,
        residency:
          s.AZURE_OPENAI_REGION === 'eu'
            ? 'EU Data Zone deployment (EU member states)'
            : `Azure region ${s.AZURE_OPENAI_REGION ?? '(unset)'} (Standard deployment)`,
      };
    case 'bedrock': {
      const profile = s.BEDROCK_MODEL_ID ? bedrockGeography(s.BEDROCK_MODEL_ID) : undefined;
      const where =
        profile === 'eu' ? 'EU cross-region inference profile (EU regions only)' : 'model in the region';
      return {
        region: s.AWS_REGION ?? null,
        residency: `AWS region ${s.AWS_REGION ?? '(unset)'}, ${where}; prompts and answers not stored`,
      };
    }
    case 'vertex':
      return {
        region: s.VERTEX_LOCATION ?? null,
        residency: `Google Cloud location ${s.VERTEX_LOCATION ?? '(unset)'} (regional endpoint)`,
      };
    case 'openai':
      return {
        region: 'eu',
        residency: `OpenAI project with EU data residency at ${hostOf(s.OPENAI_BASE_URL ?? 'https://eu.api.openai.com/v1')}`,
      };
    case 'mistral':
      return {
        region: 'eu',
        residency: `Mistral AI (Paris), EU-hosted API at ${hostOf(s.MISTRAL_BASE_URL ?? 'https://api.mistral.ai')}`,
      };
    case 'local':
      return {
        region: null,
        residency: `self-hosted at ${s.LOCAL_LLM_BASE_URL ? hostOf(s.LOCAL_LLM_BASE_URL) : '(unset)'}: no third party`,
      };
  }
}

function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : url;
}

/**
 * Model providers on Bedrock: a model id starts with one of these, a cross-region inference profile
 * with its geography (`eu.`, `us.`, `apac.`, `global.` …) before it.
 */
const BEDROCK_MODEL_PROVIDERS =
  /^(amazon|anthropic|meta|mistral|cohere|ai21|deepseek|writer|openai|qwen|stability|twelvelabs|luma|moonshot|minimax|google|nvidia)\./;

/** `eu` for an EU profile, `in-region` for a plain model id, else the foreign geography (`us`, `global`, …). */
export function bedrockGeography(modelId: string): string {
  // An ARN names a (application) inference profile or a model; its last path part is the id.
  const id = modelId.startsWith('arn:') ? (modelId.split('/').at(-1) ?? '') : modelId;
  if (BEDROCK_MODEL_PROVIDERS.test(id)) return 'in-region';
  return id.split('.')[0] ?? '';
}

/** Where an OpenAI base URL points: the EU host, the global host (refused) or another host (proxy, simulator). */
function openAiHostProblem(baseUrl: string): string | undefined {
  if (!URL.canParse(baseUrl)) return undefined; // the settings schema reports it
  const host = new URL(baseUrl).hostname.toLowerCase();
  if (host === 'eu.api.openai.com' || !/(^|\.)openai\.com$/.test(host)) return undefined;
  return `OPENAI_BASE_URL: ${host} is not OpenAI's EU host; a project with EU data residency is served at https://eu.api.openai.com/v1`;
}

/** One line per region or residency problem of the providers the routes use. */
export function llmResidencyProblems(settings: LlmSettings, policy: Pick<Policy, 'llm'>): string[] {
  const providers = new Set(Object.values(llmRouteProviders(settings, policy)));
  const problems: string[] = [];
  // Settings given for a provider no route uses are still checked: a wrong region is wrong either way.
  if (providers.has('azure') || settings.AZURE_OPENAI_REGION) {
    const allowed = allowedRegionsFor(policy, 'azure');
    const region = settings.AZURE_OPENAI_REGION;
    if (settings.AZURE_OPENAI_ENDPOINT && !region)
      problems.push(
        'AZURE_OPENAI_REGION: is required when AZURE_OPENAI_ENDPOINT is set (it must be one of the policy allowedRegions)',
      );
    else if (region && !allowed.some((r) => r.toLowerCase() === region.toLowerCase()))
      problems.push(
        `AZURE_OPENAI_REGION: "${region}" is not on the policy's allowedRegions (${allowed.join(', ')})`,
      );
  }
  if (providers.has('bedrock') || settings.BEDROCK_MODEL_ID) {
    const region = settings.AWS_REGION;
    const allowed = allowedRegionsFor(policy, 'bedrock');
    if (region && !region.startsWith('eu-'))
      problems.push(
        `AWS_REGION: "${region}" is not an EU region; Bedrock must run in one of ${allowed.join(', ')}`,
      );
    else if (region && !allowed.includes(region))
      problems.push(
        `AWS_REGION: "${region}" is not on the policy's llm.allowedRegions.bedrock (${allowed.join(', ')})`,
      );
    const geography = settings.BEDROCK_MODEL_ID ? bedrockGeography(settings.BEDROCK_MODEL_ID) : 'in-region';
    if (geography !== 'in-region' && geography !== 'eu') {
      problems.push(
        `BEDROCK_MODEL_ID: "${settings.BEDROCK_MODEL_ID}" is a "${geography}." inference profile that may process outside the EU; use a model id or an "eu." profile`,
      );
    }
  }
  if (providers.has('vertex') || settings.VERTEX_LOCATION) {
    const location = settings.VERTEX_LOCATION;
    const allowed = allowedRegionsFor(policy, 'vertex');
    if (location === 'global')
      problems.push(
        `VERTEX_LOCATION: "global" processes anywhere in the world; use an EU location such as ${allowed.slice(0, 3).join(', ')}`,
      );
    else if (location && !location.startsWith('europe-'))
      problems.push(`VERTEX_LOCATION: "${location}" is not an EU location; use one of ${allowed.join(', ')}`);
    else if (location && !allowed.includes(location))
      problems.push(
        `VERTEX_LOCATION: "${location}" is not on the policy's llm.allowedRegions.vertex (${allowed.join(', ')})`,
      );
  }
  if (providers.has('openai') || settings.OPENAI_API_KEY) {
    const problem = openAiHostProblem(settings.OPENAI_BASE_URL ?? 'https://eu.api.openai.com/v1');
    if (problem) problems.push(problem);
  }
  return problems;
}

/** The settings each provider needs before a route can use it (outside the sandbox). */
const REQUIRED_SETTINGS: Record<Exclude<LlmProvider, 'local'>, readonly (keyof LlmSettings)[]> = {
  azure: ['AZURE_OPENAI_ENDPOINT', 'AZURE_OPENAI_API_KEY', 'AZURE_OPENAI_DEPLOYMENT'],
  bedrock: ['AWS_REGION', 'BEDROCK_MODEL_ID'],
  vertex: ['GOOGLE_CLOUD_PROJECT', 'VERTEX_LOCATION', 'VERTEX_MODEL'],
  openai: ['OPENAI_API_KEY', 'OPENAI_MODEL'],
  mistral: ['MISTRAL_API_KEY', 'MISTRAL_MODEL'],
};

/** The routes some flow drafts on, plus `local` when a special category is sent there. */
export function routesInUse(policy: Pick<Policy, 'flows' | 'sensitive'>): Set<string> {
  const routes = new Set<string>(Object.values(policy.flows).map((f) => f.llmRoute));
  if (Object.values(policy.sensitive).includes('local')) routes.add('local');
  return routes;
}

/** Missing settings of the providers the routes in use need; only those providers' settings are required. */
export function llmSettingsProblems(
  settings: LlmSettings,
  policy: Pick<Policy, 'llm' | 'flows' | 'sensitive'>,
): string[] {
  if (settings.DRAFTBRIDGE_SANDBOX) return [];
  const problems: string[] = [];
  const inUse = routesInUse(policy);
  for (const [route, provider] of Object.entries(llmRouteProviders(settings, policy))) {
    if (provider === 'local' || !inUse.has(route)) continue;
    for (const key of REQUIRED_SETTINGS[provider]) {
      if (!settings[key])
        problems.push(`${key}: is required because the ${route} LLM route uses ${provider}`);
    }
  }
  return [...new Set(problems)];
}
