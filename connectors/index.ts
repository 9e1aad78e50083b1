import type { CrmPort } from '../src/ports.ts';
import type { Policy } from '../src/policy.ts';
import type { Settings } from '../src/settings.ts';
import type { Ports } from '../workers/index.ts';
import { loadServiceAccountKey } from '../src/gmail-key.ts';
import { GmailMail } from './gmail/connector.ts';
import { GmailWatch } from './gmail/watch.ts';
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

/** The production ports from settings: the chosen CRM (DRAFTBRIDGE_CRM), the chosen mailbox system (DRAFTBRIDGE_MAIL) and the LLM routes. */
export function createPorts(settings: Settings, policy: Policy): Ports {
  const crm = createCrm(settings, policy);
  const llm = DraftingLlm.fromSettings(settings, policy);
  if (settings.DRAFTBRIDGE_MAIL === 'gmail') return { crm, llm, ...gmailPorts(settings, policy) };
  const graph = new GraphMail({
    tenantId: settings.GRAPH_TENANT_ID ?? '',
    clientId: settings.GRAPH_CLIENT_ID ?? '',
    clientSecret: settings.GRAPH_CLIENT_SECRET ?? '',
    authorityHost: settings.GRAPH_AUTHORITY_HOST,
    baseUrl: settings.GRAPH_BASE_URL,
    mailboxConcurrency: policy.limits.graph.mailboxConcurrency,
  });
  return { crm, llm, mail: graph, graph };
}

/** Gmail: drafts through the connector, approvals through users.watch + history (connectors/gmail/watch.ts). */
function gmailPorts(settings: Settings, policy: Policy): Pick<Ports, 'mail' | 'gmailWatch'> {
  const mail = new GmailMail({
    key: loadServiceAccountKey(settings.GMAIL_SERVICE_ACCOUNT_KEY ?? ''),
    rootUrl: settings.GMAIL_API_ROOT_URL,
    tokenUrl: settings.GOOGLE_TOKEN_URL,
    defaultLabel: policy.mail.reviewCategory,
  });
  const topicName = settings.GMAIL_PUBSUB_TOPIC;
  return {
    mail,
    ...(topicName
      ? { gmailWatch: (store, ctx) => new GmailWatch(store, mail, { prefix: settings.DRAFTBRIDGE_QUEUE_PREFIX, topicName, refKey: ctx.keys.audit, linkTtlMs: policy.retention.request ?? 30 * 86_400_000, labels: [policy.mail.reviewCategory, policy.mail.templateCategory] }) }
      : {}),
  };
}
