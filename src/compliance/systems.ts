import type { Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import { allowedRegionsFor, DEFAULT_EU_REGIONS } from '../llm-residency.ts';
import { dataverseRegion, placeOf, type RegionPlace } from './regions.ts';

const isRegional = (id: string): id is keyof typeof DEFAULT_EU_REGIONS => id in DEFAULT_EU_REGIONS;

/**
 * The external systems a deployment actually uses, derived from settings and policy: the CRM
 * (DRAFTBRIDGE_CRM), the mailbox system (DRAFTBRIDGE_MAIL) and the LLM provider of each policy route.
 * Pure functions over tables keyed by system id: adding a provider or mail system is one entry.
 * Nothing here is a secret: endpoints are reduced to their host, credentials are never read.
 */

/** Settings read by key, so table entries can name settings added later without a type change here. */
export type SettingsView = Readonly<Record<string, unknown>>;

const str = (s: SettingsView, key: string): string | undefined =>
  typeof s[key] === 'string' && s[key] !== '' ? (s[key] as string) : undefined;
const hostOf = (url: string | undefined): string | undefined =>
  url && URL.canParse(url) ? new URL(url).host : undefined;

export interface SystemEntry {
  /** What the documents call it. */
  product: string;
  /** The company behind it, with its home country; null when the operator runs it. */
  vendor: { name: string; country: string } | null;
  /** The setting holding its API endpoint (printed as a host). */
  endpointSetting: string;
  /** The setting that names its processing region, when there is one. */
  regionSetting?: string;
  /** Region derived from a setting's value (a Dataverse host names its region). */
  regionFrom?: (s: SettingsView) => RegionPlace | undefined;
  /** Runs on the operator's own infrastructure: no processor unless a third party hosts it. */
  selfHosted: boolean;
}

export const CRM_SYSTEMS: Record<string, SystemEntry> = {
  hubspot: {
    product: 'HubSpot CRM',
    vendor: { name: 'HubSpot', country: 'US' },
    endpointSetting: 'HUBSPOT_BASE_URL',
    selfHosted: false,
  },
  salesforce: {
    product: 'Salesforce Sales Cloud',
    vendor: { name: 'Salesforce', country: 'US' },
    endpointSetting: 'SALESFORCE_LOGIN_URL',
    selfHosted: false,
  },
  dynamics: {
    product: 'Microsoft Dynamics 365 (Dataverse)',
    vendor: { name: 'Microsoft', country: 'US' },
    endpointSetting: 'DATAVERSE_URL',
    regionFrom: (s) => dataverseRegion(str(s, 'DATAVERSE_URL')),
    selfHosted: false,
  },
};

export const MAIL_SYSTEMS: Record<string, SystemEntry> = {
  graph: {
    product: 'Microsoft 365 Exchange Online (Microsoft Graph)',
    vendor: { name: 'Microsoft', country: 'US' },
    endpointSetting: 'GRAPH_BASE_URL',
    selfHosted: false,
  },
  gmail: {
    product: 'Google Workspace Gmail',
    vendor: { name: 'Google', country: 'US' },
    endpointSetting: 'GMAIL_API_ROOT_URL',
    selfHosted: false,
  },
  // ews (Exchange Server on premises) joins here: selfHosted true, endpointSetting 'EWS_URL'.
};

export interface LlmProviderEntry extends SystemEntry {
  /** The setting naming the deployment or model. */
  modelSetting: string;
}

/** LLM providers by the id a policy route names (`llm.routes.<route>.provider`). */
export const LLM_PROVIDERS: Record<string, LlmProviderEntry> = {
  azure: {
    product: 'Azure OpenAI Service',
    vendor: { name: 'Microsoft', country: 'US' },
    endpointSetting: 'AZURE_OPENAI_ENDPOINT',
    regionSetting: 'AZURE_OPENAI_REGION',
    modelSetting: 'AZURE_OPENAI_DEPLOYMENT',
    selfHosted: false,
  },
  local: {
    product: 'self-hosted model (OpenAI-compatible API)',
    vendor: null,
    endpointSetting: 'LOCAL_LLM_BASE_URL',
    modelSetting: 'LOCAL_LLM_MODEL',
    selfHosted: true,
  },
  bedrock: {
    product: 'Amazon Bedrock',
    vendor: { name: 'Amazon Web Services', country: 'US' },
    endpointSetting: 'BEDROCK_ENDPOINT_URL',
    regionSetting: 'AWS_REGION',
    modelSetting: 'BEDROCK_MODEL_ID',
    selfHosted: false,
  },
  vertex: {
    product: 'Google Vertex AI',
    vendor: { name: 'Google', country: 'US' },
    endpointSetting: 'VERTEX_BASE_URL',
    regionSetting: 'VERTEX_LOCATION',
    modelSetting: 'VERTEX_MODEL',
    selfHosted: false,
  },
  openai: {
    product: 'OpenAI API with EU data residency',
    vendor: { name: 'OpenAI', country: 'US' },
    endpointSetting: 'OPENAI_BASE_URL',
    // Settings refuse any host but the EU one (default when unset), so the region follows from it.
    regionFrom: (s) =>
      hostOf(str(s, 'OPENAI_BASE_URL') ?? 'https://eu.api.openai.com/v1') === 'eu.api.openai.com'
        ? placeOf('eu')
        : undefined,
    modelSetting: 'OPENAI_MODEL',
    selfHosted: false,
  },
  mistral: {
    product: 'Mistral AI (La Plateforme)',
    vendor: { name: 'Mistral AI', country: 'FR' },
    endpointSetting: 'MISTRAL_BASE_URL',
    modelSetting: 'MISTRAL_MODEL',
    selfHosted: false,
  },
};

/** A route's provider when the policy does not name one. */
const DEFAULT_PROVIDER: Record<string, string> = { eu: 'azure', local: 'local' };

export interface ConfiguredSystem {
  /** System id: the key in the tables above, and in the policy's `compliance.vendors`. */
  id: string;
  kind: 'crm' | 'mail' | 'llm' | 'hosting';
  product: string;
  vendor: { name: string; country: string } | null;
  selfHosted: boolean;
  /** The endpoint's host, or null when its setting is not set. */
  endpointHost: string | null;
  endpointSetting: string;
  /** Whether that endpoint is https (null when not set). */
  endpointHttps: boolean | null;
  /** Where it processes data, and where that fact comes from (a setting, or the policy's compliance section). */
  region: (RegionPlace & { source: string }) | null;
  /** The signed DPA as the operator recorded it (`compliance.vendors.<id>.dpa`). */
  dpa: string | null;
}

export interface LlmRouteSystem extends ConfiguredSystem {
  route: string;
  model: string | null;
  /** The setting that names the region (`AZURE_OPENAI_REGION`), if the provider has one. */
  regionSetting: string | null;
  /** Whether the region is on the policy's `llm.allowedRegions` (null when there is no region). */
  regionAllowed: boolean | null;
}

function describe(
  id: string,
  kind: ConfiguredSystem['kind'],
  entry: SystemEntry,
  s: SettingsView,
  policy: Policy,
): ConfiguredSystem {
  const operator = policy.compliance?.vendors?.[id];
  const fromSetting = entry.regionSetting ? placeOf(str(s, entry.regionSetting)) : undefined;
  const derived = entry.regionFrom?.(s);
  const fromPolicy = placeOf(operator?.location);
  const region = fromSetting
    ? { ...fromSetting, source: entry.regionSetting! }
    : derived
      ? { ...derived, source: entry.endpointSetting }
      : fromPolicy
        ? { ...fromPolicy, source: `compliance.vendors.${id}.location` }
        : null;
  return {
    id,
    kind,
    product: entry.product,
    vendor: entry.vendor,
    selfHosted: entry.selfHosted,
    endpointHost: hostOf(str(s, entry.endpointSetting)) ?? null,
    endpointSetting: entry.endpointSetting,
    endpointHttps: str(s, entry.endpointSetting)?.startsWith('https://') ?? null,
    region,
    dpa: operator?.dpa ?? null,
  };
}

export function crmSystem(settings: SettingsView, policy: Policy): ConfiguredSystem {
  const id = str(settings, 'DRAFTBRIDGE_CRM') ?? 'hubspot';
  return describe(id, 'crm', CRM_SYSTEMS[id] ?? unknownSystem(id, 'DRAFTBRIDGE_CRM'), settings, policy);
}

export function mailSystem(settings: SettingsView, policy: Policy): ConfiguredSystem {
  const id = str(settings, 'DRAFTBRIDGE_MAIL') ?? 'graph';
  return describe(id, 'mail', MAIL_SYSTEMS[id] ?? unknownSystem(id, 'DRAFTBRIDGE_MAIL'), settings, policy);
}

/** The provider a policy route uses: the policy's `provider`, else DRAFTBRIDGE_LLM for `eu`, else the default. */
export function routeProvider(route: string, settings: SettingsView, policy: Policy): string {
  const named = (policy.llm.routes as Record<string, { provider?: unknown }>)[route]?.provider;
  if (typeof named === 'string') return named;
  if (route === 'eu' && str(settings, 'DRAFTBRIDGE_LLM')) return str(settings, 'DRAFTBRIDGE_LLM')!;
  return DEFAULT_PROVIDER[route] ?? route;
}

/** Every LLM route of the policy with its provider, model, region and whether that region is allowed. */
export function llmRouteSystems(settings: SettingsView, policy: Policy): LlmRouteSystem[] {
  return Object.keys(policy.llm.routes).map((route) => {
    const id = routeProvider(route, settings, policy);
    const allowed = isRegional(id) ? allowedRegionsFor(policy, id).map((r) => r.toLowerCase()) : [];
    const entry = LLM_PROVIDERS[id];
    const system = describe(
      id,
      'llm',
      entry ?? unknownSystem(id, `llm.routes.${route}.provider`),
      settings,
      policy,
    );
    const rawRegion = entry?.regionSetting ? str(settings, entry.regionSetting) : undefined;
    return {
      ...system,
      route,
      model: entry ? (str(settings, entry.modelSetting) ?? null) : null,
      regionSetting: entry?.regionSetting ?? null,
      regionAllowed: rawRegion ? allowed.includes(rawRegion.toLowerCase()) : null,
    };
  });
}

/**
 * The routes that receive text: those the flows name, and `local` when a special category is routed
 * there (`sensitive: { health: local }`). A route nothing uses receives nothing and is not listed.
 */
export function routesInUse(policy: Policy): Set<string> {
  const routes = new Set<string>(Object.values(policy.flows).map((f) => f.llmRoute));
  if (Object.values(policy.sensitive).includes('local')) routes.add('local');
  return routes;
}

/** Where draftbridge itself and its Redis run: only the operator knows (`compliance.vendors.hosting`). */
export function hostingSystem(policy: Policy): ConfiguredSystem {
  const operator = policy.compliance?.vendors?.hosting;
  const place = placeOf(operator?.location);
  return {
    id: 'hosting',
    kind: 'hosting',
    product: 'draftbridge service and its Redis',
    vendor: null,
    selfHosted: true,
    endpointHost: null,
    endpointSetting: 'REDIS_URL',
    endpointHttps: null,
    region: place ? { ...place, source: 'compliance.vendors.hosting.location' } : null,
    dpa: operator?.dpa ?? null,
  };
}

function unknownSystem(id: string, setting: string): SystemEntry {
  return {
    product: `${id} (not described by this version: see ${setting})`,
    vendor: null,
    endpointSetting: setting,
    selfHosted: false,
  };
}

/** Settings as the tables read them. */
export function settingsView(settings: Settings): SettingsView {
  return settings as unknown as SettingsView;
}
