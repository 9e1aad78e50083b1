import type { CrmPort } from '../src/ports.ts';
import type { Policy } from '../src/policy.ts';
import type { Settings } from '../src/settings.ts';
import type { Ports } from '../workers/index.ts';
import { GraphMail } from './graph/connector.ts';
import { HubSpotCrm } from './hubspot/connector.ts';
import { DraftingLlm } from './llm/connector.ts';
import { DataverseCrm } from './dynamics/connector.ts';
import { authFromSettings } from './salesforce/auth.ts';
import { SalesforceCrm } from './salesforce/connector.ts';

/** The deployment's CRM (DRAFTBRIDGE_CRM): HubSpot, Salesforce or Dynamics 365 / Dataverse. */
export function createCrm(settings: Settings, policy: Policy): CrmPort {
  switch (settings.DRAFTBRIDGE_CRM) {
    case 'salesforce':
      return new SalesforceCrm({ auth: authFromSettings(settings), apiVersion: settings.SALESFORCE_API_VERSION });
    case 'dynamics':
      return new DataverseCrm({
        url: settings.DATAVERSE_URL ?? '',
        tenantId: settings.DATAVERSE_TENANT_ID ?? '',
        clientId: settings.DATAVERSE_CLIENT_ID ?? '',
        clientSecret: settings.DATAVERSE_CLIENT_SECRET ?? '',
        authorityHost: settings.DATAVERSE_AUTHORITY_HOST,
      });
    case 'hubspot':
    default:
      return new HubSpotCrm({ accessToken: settings.HUBSPOT_ACCESS_TOKEN ?? '', basePath: settings.HUBSPOT_BASE_URL, requestsPer10s: policy.limits.hubspot.requestsPer10s });
  }
}

/** The production ports from settings: the chosen CRM, Microsoft Graph and the LLM routes. */
export function createPorts(settings: Settings, policy: Policy): Ports {
  return {
    crm: createCrm(settings, policy),
    mail: new GraphMail({
      tenantId: settings.GRAPH_TENANT_ID ?? '',
      clientId: settings.GRAPH_CLIENT_ID ?? '',
      clientSecret: settings.GRAPH_CLIENT_SECRET ?? '',
      authorityHost: settings.GRAPH_AUTHORITY_HOST,
      baseUrl: settings.GRAPH_BASE_URL,
      mailboxConcurrency: policy.limits.graph.mailboxConcurrency,
    }),
    llm: DraftingLlm.fromSettings(settings, policy),
  };
}
