import type { Policy } from '../src/policy.ts';
import type { ConnectorMetrics, Ports } from '../src/ports.ts';
import type { Settings } from '../src/settings.ts';
import { GraphMail } from './graph/connector.ts';
import { HubSpotCrm } from './hubspot/connector.ts';
import { DraftingLlm } from './llm/connector.ts';

/** The production ports from settings: HubSpot, Microsoft Graph and the LLM routes, all reporting to `metrics`. */
export function createPorts(settings: Settings, policy: Policy, metrics?: ConnectorMetrics): Ports {
  const sink = metrics ? { metrics } : {};
  const graph = new GraphMail({
    tenantId: settings.GRAPH_TENANT_ID ?? '',
    clientId: settings.GRAPH_CLIENT_ID ?? '',
    clientSecret: settings.GRAPH_CLIENT_SECRET ?? '',
    authorityHost: settings.GRAPH_AUTHORITY_HOST,
    baseUrl: settings.GRAPH_BASE_URL,
    mailboxConcurrency: policy.limits.graph.mailboxConcurrency,
    ...sink,
  });
  return {
    crm: new HubSpotCrm({ accessToken: settings.HUBSPOT_ACCESS_TOKEN ?? '', basePath: settings.HUBSPOT_BASE_URL, requestsPer10s: policy.limits.hubspot.requestsPer10s, ...sink }),
    mail: graph,
    // Outlook calendars: free/busy and working hours for the offered slots.
    calendar: graph,
    llm: DraftingLlm.fromSettings(settings, policy, metrics),
  };
}
