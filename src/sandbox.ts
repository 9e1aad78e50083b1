import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startGraphSimulator, type GraphSimulator } from '../connectors/graph/simulator.ts';
import { loadOrCreateSimulatorTls, trustSimulatorCa } from '../connectors/graph/tls.ts';
import { startHubSpotSimulator, type HubSpotSimulator } from '../connectors/hubspot/simulator.ts';
import { startAzureOpenAiSimulator, type AzureOpenAiSimulator } from '../connectors/llm/simulator.ts';
import { DRAFTBRIDGE_PROPERTIES } from '../connectors/hubspot/setup.ts';
import type { Settings } from './settings.ts';

/**
 * DRAFTBRIDGE_SANDBOX=1: the three simulators run in-process on loopback, seeded with invented
 * people, and the connectors are pointed at them. The simulator CA is trusted in this process only.
 */
import { SANDBOX_CONTACTS, SANDBOX_HUBSPOT_SECRET, SANDBOX_OWNERS } from './sandbox-data.ts';

export * from './sandbox-data.ts';
/** For processes that talk to simulators started elsewhere (the bench). */
export { trustSimulatorCa };

export interface Sandbox {
  hubspot: HubSpotSimulator;
  graph: GraphSimulator;
  llm: AzureOpenAiSimulator;
  settings: Settings;
  close(): Promise<void>;
}

export async function startSandbox(settings: Settings, options: { tlsDir?: string } = {}): Promise<Sandbox> {
  const tls = await loadOrCreateSimulatorTls(options.tlsDir ?? join(process.cwd(), '.sandbox', 'tls'));
  trustSimulatorCa(tls.caPem);
  const hubspotToken = 'pat-eu1-sandbox';
  const [hubspot, graph, llm] = await Promise.all([
    startHubSpotSimulator({ accessToken: hubspotToken }),
    // Our webhook endpoint is plain http on loopback in the sandbox; real Graph insists on https.
    startGraphSimulator({ tls, allowHttpNotificationUrls: true }),
    startAzureOpenAiSimulator(),
  ]);
  for (const p of DRAFTBRIDGE_PROPERTIES) hubspot.propertyDefinitions.set(p.name, { ...p });
  for (const c of SANDBOX_CONTACTS) hubspot.seedContact({ id: c.id, properties: c.properties });
  for (const o of SANDBOX_OWNERS) {
    hubspot.seedOwner(o);
    graph.addMailbox(o.email);
  }
  const sandboxSettings: Settings = {
    ...settings,
    HUBSPOT_CLIENT_SECRET: settings.HUBSPOT_CLIENT_SECRET ?? SANDBOX_HUBSPOT_SECRET,
    HUBSPOT_ACCESS_TOKEN: hubspotToken,
    HUBSPOT_BASE_URL: hubspot.url,
    GRAPH_TENANT_ID: graph.tenantId,
    GRAPH_CLIENT_ID: graph.clientId,
    GRAPH_CLIENT_SECRET: graph.clientSecret,
    GRAPH_BASE_URL: graph.graphBaseUrl,
    GRAPH_AUTHORITY_HOST: graph.authorityHost,
    AZURE_OPENAI_ENDPOINT: llm.url,
    AZURE_OPENAI_API_KEY: llm.apiKey,
    AZURE_OPENAI_DEPLOYMENT: llm.deployment,
    AZURE_OPENAI_REGION: 'swedencentral',
    LOCAL_LLM_BASE_URL: `${llm.url}/v1`,
    LOCAL_LLM_MODEL: 'llama3.1:8b',
    // Outlook approvals come back through our own /webhooks/graph (plain http is allowed by the simulator only).
    GRAPH_NOTIFICATION_URL: settings.GRAPH_NOTIFICATION_URL ?? `${settings.publicUrl}/webhooks/graph`,
    GRAPH_CLIENT_STATE: settings.GRAPH_CLIENT_STATE ?? randomBytes(24).toString('base64url'),
  };
  return {
    hubspot,
    graph,
    llm,
    settings: sandboxSettings,
    async close() {
      await Promise.all([hubspot.close(), graph.close(), llm.close()]);
    },
  };
}
