import type { ConnectorMetrics, CrmPort, Ports, RateBudget } from '../src/ports.ts';
import type { Policy } from '../src/policy.ts';
import type { Settings } from '../src/settings.ts';
import { loadServiceAccountKey } from '../src/gmail-key.ts';
import { GraphMail } from './graph/connector.ts';
import { HubSpotCrm } from './hubspot/connector.ts';
import { DraftingLlm } from './llm/connector.ts';

// Salesforce (jsforce), Dynamics (dynamics-web-api) and Gmail (googleapis) load only when the
// deployment uses them: each SDK holds tens of MB that a process without it should not carry.

/**
 * The deployment's CRM (DRAFTBRIDGE_CRM): HubSpot, Salesforce or Dynamics 365 / Dataverse. `rateBudget`
 * is the provider quotas shared by all processes (src/rate-budget.ts): HubSpot books its calls there.
 */
export async function createCrm(
  settings: Settings,
  policy: Policy,
  metrics?: ConnectorMetrics,
  rateBudget?: RateBudget,
): Promise<CrmPort> {
  const sink = metrics ? { metrics } : {};
  switch (settings.DRAFTBRIDGE_CRM) {
    case 'salesforce': {
      const [{ authFromSettings }, { SalesforceCrm }] = await Promise.all([
        import('./salesforce/auth.ts'),
        import('./salesforce/connector.ts'),
      ]);
      return new SalesforceCrm({
        auth: authFromSettings(settings),
        apiVersion: settings.SALESFORCE_API_VERSION,
        ...sink,
      });
    }
    case 'dynamics': {
      const { DataverseCrm } = await import('./dynamics/connector.ts');
      return new DataverseCrm({
        url: settings.DATAVERSE_URL ?? '',
        tenantId: settings.DATAVERSE_TENANT_ID ?? '',
        clientId: settings.DATAVERSE_CLIENT_ID ?? '',
        clientSecret: settings.DATAVERSE_CLIENT_SECRET ?? '',
        authorityHost: settings.DATAVERSE_AUTHORITY_HOST,
        ...sink,
      });
    }
    case 'hubspot':
    default:
      return new HubSpotCrm({
        accessToken: settings.HUBSPOT_ACCESS_TOKEN ?? '',
        basePath: settings.HUBSPOT_BASE_URL,
        requestsPer10s: policy.limits.hubspot.requestsPer10s,
        ...(rateBudget ? { rateBudget } : {}),
        ...sink,
      });
  }
}

/**
 * The production ports from settings: the chosen CRM (DRAFTBRIDGE_CRM), the chosen mailbox system
 * (DRAFTBRIDGE_MAIL) and the LLM routes, all reporting to `metrics`. HubSpot and the LLM routes
 * schedule their calls in `rateBudget`, the quotas shared across processes (a service always passes
 * one; without it calls are not paced).
 */
export async function createPorts(
  settings: Settings,
  policy: Policy,
  metrics?: ConnectorMetrics,
  rateBudget?: RateBudget,
): Promise<Ports> {
  const crm = await createCrm(settings, policy, metrics, rateBudget);
  const llm = await DraftingLlm.fromSettings(settings, policy, metrics, rateBudget);
  if (settings.DRAFTBRIDGE_MAIL === 'gmail')
    return { crm, llm, ...(await gmailPorts(settings, policy, metrics)) };
  if (settings.DRAFTBRIDGE_MAIL === 'ews') {
    const { ewsPorts } = await import('./ews/ports.ts');
    return { crm, llm, ...ewsPorts(settings, policy, metrics) };
  }
  const graph = new GraphMail({
    tenantId: settings.GRAPH_TENANT_ID ?? '',
    clientId: settings.GRAPH_CLIENT_ID ?? '',
    clientSecret: settings.GRAPH_CLIENT_SECRET ?? '',
    authorityHost: settings.GRAPH_AUTHORITY_HOST,
    baseUrl: settings.GRAPH_BASE_URL,
    mailboxConcurrency: policy.limits.graph.mailboxConcurrency,
    ...(metrics ? { metrics } : {}),
  });
  // Outlook calendars: free/busy and working hours for the offered slots.
  return { crm, llm, mail: graph, graph, calendar: graph };
}

/** Gmail: drafts through the connector, approvals through users.watch + history (connectors/gmail/watch.ts), slots and bookings through Google Calendar. */
async function gmailPorts(
  settings: Settings,
  policy: Policy,
  metrics?: ConnectorMetrics,
): Promise<Pick<Ports, 'mail' | 'gmailWatch' | 'calendar'>> {
  const [{ GmailMail }, { GmailWatch }, { GoogleCalendar }] = await Promise.all([
    import('./gmail/connector.ts'),
    import('./gmail/watch.ts'),
    import('./gmail/calendar.ts'),
  ]);
  const key = loadServiceAccountKey(settings.GMAIL_SERVICE_ACCOUNT_KEY ?? '');
  // Google Calendar: free/busy and the rep's zone for the offered slots, bookings and holds.
  const calendar = new GoogleCalendar({
    key,
    rootUrl: settings.GOOGLE_CALENDAR_ROOT_URL,
    tokenUrl: settings.GOOGLE_TOKEN_URL,
    ...(metrics ? { metrics } : {}),
  });
  const mail = new GmailMail({
    key,
    rootUrl: settings.GMAIL_API_ROOT_URL,
    tokenUrl: settings.GOOGLE_TOKEN_URL,
    defaultLabel: policy.mail.reviewCategory,
    ...(metrics ? { metrics } : {}),
  });
  const topicName = settings.GMAIL_PUBSUB_TOPIC;
  return {
    mail,
    calendar,
    ...(topicName
      ? {
          gmailWatch: (store, refKey) =>
            new GmailWatch(store, mail, {
              prefix: settings.DRAFTBRIDGE_QUEUE_PREFIX,
              topicName,
              refKey,
              linkTtlMs: policy.retention.request ?? 30 * 86_400_000,
              labels: [policy.mail.reviewCategory, policy.mail.templateCategory],
            }),
        }
      : {}),
  };
}
