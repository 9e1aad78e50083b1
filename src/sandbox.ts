import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startGraphSimulator, type GraphSimulator } from '../connectors/graph/simulator.ts';
import { loadOrCreateSimulatorTls, trustSimulatorCa } from '../connectors/graph/tls.ts';
import { startHubSpotSimulator, type HubSpotSimulator } from '../connectors/hubspot/simulator.ts';
import { startAzureOpenAiSimulator, type AzureOpenAiSimulator } from '../connectors/llm/simulator.ts';
import { DRAFTBRIDGE_PROPERTIES } from '../connectors/hubspot/setup.ts';
import { DateTime } from 'luxon';
import type { Settings } from './settings.ts';

/**
 * DRAFTBRIDGE_SANDBOX=1: the three simulators run in-process on loopback, seeded with invented
 * people, and the connectors are pointed at them. The simulator CA is trusted in this process only.
 */
export const SANDBOX_HUBSPOT_SECRET = 'sandbox-hubspot-client-secret';
export const SANDBOX_PORTAL_ID = 62515;

export interface Sandbox {
  hubspot: HubSpotSimulator;
  graph: GraphSimulator;
  llm: AzureOpenAiSimulator;
  settings: Settings;
  close(): Promise<void>;
}

/** Invented people on example.com; one per interesting path of the pipeline. */
export const SANDBOX_CONTACTS: { id: string; label: string; properties: Record<string, string> }[] = [
  { id: '1001', label: 'callback, German', properties: { firstname: 'Erika', lastname: 'Musterfrau', email: 'erika.musterfrau@example.com', salutation: 'Frau', hs_language: 'de', company: 'Beispiel Maschinenbau GmbH', jobtitle: 'Einkaufsleiterin', phone: '+49 30 901820', hubspot_owner_id: '9001', callback_notes: 'Bitte Rückruf wegen Angebot für drei Fräsmaschinen, am besten vormittags.' } },
  { id: '1002', label: 'callback, English', properties: { firstname: 'John', lastname: 'Example', email: 'john.example@example.com', salutation: 'Mr', hs_language: 'en', company: 'Example Logistics Ltd.', jobtitle: 'Head of Operations', hubspot_owner_id: '9002', callback_notes: 'Asked for a call about fleet tracking, afternoons preferred.' } },
  { id: '1003', label: 'health note: local model', properties: { firstname: 'Jonas', lastname: 'Beispielmann', email: 'jonas.beispielmann@example.com', salutation: 'Herr', hs_language: 'de', company: 'Muster Logistik AG', hubspot_owner_id: '9001', callback_notes: 'Ist nach einem Bandscheibenvorfall noch krankgeschrieben, Rückruf erst nächste Woche.' } },
  { id: '1004', label: 'religion note: blocked', properties: { firstname: 'Miriam', lastname: 'Testfrau', email: 'miriam.testfrau@example.com', salutation: 'Frau', hs_language: 'de', hubspot_owner_id: '9001', callback_notes: 'Bitte nicht freitags anrufen, sie ist in der Synagoge engagiert.' } },
  { id: '1005', label: 'opted out', properties: { firstname: 'Otto', lastname: 'Widerspruch', email: 'otto.widerspruch@example.com', salutation: 'Herr', hs_language: 'de', hubspot_owner_id: '9001', draftbridge_opt_out: 'true' } },
  { id: '1006', label: 'new lead', properties: { firstname: 'Lea', lastname: 'Neukunde', email: 'lea.neukunde@example.com', salutation: 'Frau', hs_language: 'de', company: 'Neu & Partner KG', hubspot_owner_id: '9002', message: 'Interesse an einer Demo für unser Lager.' } },
];

export const SANDBOX_OWNERS = [
  { id: '9001', email: 'max.vertrieb@example.com', firstName: 'Max', lastName: 'Vertrieb' },
  { id: '9002', email: 'sophie.lindqvist@example.com', firstName: 'Sophie', lastName: 'Lindqvist' },
];

/**
 * Recurring busy blocks (Berlin wall clock, Monday to Friday) in the owners' calendars for the next
 * three weeks, so the offered slots visibly avoid them: Max has a 09:00 team meeting and a long
 * lunch meeting, Sophie is booked late mornings and mid-afternoons.
 */
export const SANDBOX_BUSY: Record<string, [string, string][]> = {
  'max.vertrieb@example.com': [['09:00', '10:00'], ['12:30', '14:30']],
  'sophie.lindqvist@example.com': [['10:00', '11:00'], ['15:00', '16:00']],
};

export function seedSandboxCalendars(graph: Pick<GraphSimulator, 'addEvent'>, now: Date): void {
  const today = DateTime.fromJSDate(now).setZone('Europe/Berlin').startOf('day');
  for (const [mailbox, blocks] of Object.entries(SANDBOX_BUSY)) {
    for (let d = 0; d < 21; d++) {
      const day = today.plus({ days: d });
      if (day.weekday > 5) continue;
      for (const [from, to] of blocks) {
        const at = (hhmm: string) => day.set({ hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3)) }).toISO()!;
        graph.addEvent(mailbox, { subject: 'Termin', start: at(from), end: at(to) });
      }
    }
  }
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
  seedSandboxCalendars(graph, new Date());
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
