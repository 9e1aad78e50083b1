import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startGmailSimulator, type GmailSimulator } from './gmail/simulator.ts';
import { startGraphSimulator, type GraphSimulator } from './graph/simulator.ts';
import { startEwsSimulator, type EwsSimulator } from './ews/simulator.ts';
import { loadOrCreateSimulatorTls, trustSimulatorCa, type SimulatorTls } from './tls.ts';
import { startHubSpotSimulator, type HubSpotSimulator } from './hubspot/simulator.ts';
import { startAzureOpenAiSimulator, type AzureOpenAiSimulator } from './llm/simulator.ts';
import { startLlmProviderSimulators, type CloudProvider, type LlmSimulator } from './llm/providers.ts';
import type { LlmProvider, LlmRoute } from '../src/policy.ts';
import { startOidcSimulator, type OidcSimulator } from './oidc/simulator.ts';
import { DRAFTBRIDGE_PROPERTIES } from '../connectors/hubspot/setup.ts';
import { startSalesforceSimulator, type SalesforceSimulator } from './salesforce/simulator.ts';
import { startDataverseSimulator, type DataverseSimulator } from './dynamics/simulator.ts';
import {
  SANDBOX_DATAVERSE_ORG_ID,
  SANDBOX_SALESFORCE_ORG_ID,
  seedDataverseSandbox,
  seedSalesforceSandbox,
} from './crm.ts';
import { DateTime } from 'luxon';
import type { Settings } from '../src/settings.ts';

/**
 * DRAFTBRIDGE_SANDBOX=1: the three simulators run in-process on loopback, seeded with invented
 * people, and the connectors are pointed at them. The simulator CA is trusted in this process only.
 */
import { SANDBOX_CONTACTS, SANDBOX_HUBSPOT_SECRET, SANDBOX_OWNERS } from './data.ts';

export * from './data.ts';
/** For processes that talk to simulators started elsewhere (the bench). */
export { trustSimulatorCa };

export interface Sandbox {
  hubspot: HubSpotSimulator;
  /** Which mailbox system is simulated (DRAFTBRIDGE_MAIL). */
  mail: 'graph' | 'gmail' | 'ews';
  /** Only when DRAFTBRIDGE_CRM=salesforce: the org the connector and the trigger use instead of HubSpot. */
  salesforce?: SalesforceSimulator;
  /** Only when DRAFTBRIDGE_CRM=dynamics: the Dataverse environment (TLS, with its own Entra token endpoint). */
  dynamics?: DataverseSimulator;
  /** Outlook through Graph; throws when the sandbox runs Gmail. */
  graph: GraphSimulator;
  /** Gmail with Pub/Sub push (DRAFTBRIDGE_MAIL=gmail). */
  gmail?: GmailSimulator;
  /** Exchange Server on premises through EWS (DRAFTBRIDGE_MAIL=ews). */
  ews?: EwsSimulator;
  llm: AzureOpenAiSimulator;
  /** The other providers' simulators the routes use (DRAFTBRIDGE_LLM, or `llmProviders`). */
  llmProviders: Partial<Record<CloudProvider, LlmSimulator>>;
  /** The simulator behind the eu route: `llm` for Azure, else the chosen provider's. */
  euLlm: LlmSimulator;
  /** Entra ID stand-in for sign-in and bearer tokens (used unless DRAFTBRIDGE_OIDC_ISSUER is set). */
  oidc: OidcSimulator;
  settings: Settings;
  close(): Promise<void>;
}

/** The mailbox system's simulator, its settings for the connectors, and how to give a rep a mailbox. */
interface SandboxMail {
  addMailbox(address: string): void;
  settings: Partial<Settings>;
  close(): Promise<void>;
}

async function startGraphMail(
  settings: Settings,
  tls: SimulatorTls,
): Promise<SandboxMail & { graph: GraphSimulator }> {
  // Our webhook endpoint is plain http on loopback in the sandbox; real Graph insists on https.
  const graph = await startGraphSimulator({ tls, allowHttpNotificationUrls: true });
  return {
    graph,
    addMailbox: (address) => graph.addMailbox(address),
    settings: {
      GRAPH_TENANT_ID: graph.tenantId,
      GRAPH_CLIENT_ID: graph.clientId,
      GRAPH_CLIENT_SECRET: graph.clientSecret,
      GRAPH_BASE_URL: graph.graphBaseUrl,
      GRAPH_AUTHORITY_HOST: graph.authorityHost,
      // Outlook approvals come back through our own /webhooks/graph (plain http is allowed by the simulator only).
      GRAPH_NOTIFICATION_URL: settings.GRAPH_NOTIFICATION_URL ?? `${settings.publicUrl}/webhooks/graph`,
      GRAPH_CLIENT_STATE: settings.GRAPH_CLIENT_STATE ?? randomBytes(24).toString('base64url'),
    },
    close: () => graph.close(),
  };
}

/**
 * Recurring busy blocks (Berlin wall clock, Monday to Friday) in the owners' calendars for the next
 * three weeks, so the offered slots visibly avoid them: Max has a 09:00 team meeting and a long
 * lunch meeting, Sophie is booked late mornings and mid-afternoons.
 */
export const SANDBOX_BUSY: Record<string, [string, string][]> = {
  'max.vertrieb@example.com': [
    ['09:00', '10:00'],
    ['12:30', '14:30'],
  ],
  'sophie.lindqvist@example.com': [
    ['10:00', '11:00'],
    ['15:00', '16:00'],
  ],
};

/** Adds a busy block to a mailbox's calendar, whichever mail system simulates it. */
type AddBusy = (mailbox: string, startIso: string, endIso: string) => void;

export function seedSandboxCalendars(addBusy: AddBusy, now: Date): void {
  const today = DateTime.fromJSDate(now).setZone('Europe/Berlin').startOf('day');
  for (const [mailbox, blocks] of Object.entries(SANDBOX_BUSY)) {
    for (let d = 0; d < 21; d++) {
      const day = today.plus({ days: d });
      if (day.weekday > 5) continue;
      for (const [from, to] of blocks) {
        const at = (hhmm: string) =>
          day.set({ hour: Number(hhmm.slice(0, 2)), minute: Number(hhmm.slice(3)) }).toISO()!;
        addBusy(mailbox, at(from), at(to));
      }
    }
  }
}

/** Gmail instead of Outlook: pushes come back signed to our own /webhooks/gmail. */
async function startGmailMail(settings: Settings): Promise<SandboxMail & { gmail: GmailSimulator }> {
  const gmail = await startGmailSimulator();
  const push = {
    endpoint: `${settings.publicUrl}/webhooks/gmail`,
    audience: settings.GMAIL_PUSH_AUDIENCE ?? `${settings.publicUrl}/webhooks/gmail`,
    serviceAccount: settings.GMAIL_PUSH_SERVICE_ACCOUNT ?? 'gmail-push@draftbridge-sandbox.test',
  };
  gmail.configurePush(push);
  return {
    gmail,
    addMailbox: (address) => gmail.addMailbox(address),
    settings: {
      GMAIL_SERVICE_ACCOUNT_KEY: gmail.serviceAccountKey,
      GMAIL_API_ROOT_URL: gmail.rootUrl,
      GOOGLE_CALENDAR_ROOT_URL: gmail.rootUrl,
      GOOGLE_TOKEN_URL: gmail.tokenUrl,
      GOOGLE_CERTS_URL: gmail.certsUrl,
      GMAIL_PUBSUB_TOPIC: gmail.topicName,
      GMAIL_PUSH_AUDIENCE: push.audience,
      GMAIL_PUSH_SERVICE_ACCOUNT: push.serviceAccount,
    },
    close: () => gmail.close(),
  };
}

/** Exchange on premises: EWS over HTTPS with NTLM, the service account impersonating the reps. */
async function startEwsMail(
  settings: Settings,
  tls: SimulatorTls,
): Promise<SandboxMail & { ews: EwsSimulator }> {
  const ews = await startEwsSimulator({ tls });
  return {
    ews,
    addMailbox: (address) => void ews.addMailbox(address),
    settings: {
      EWS_URL: ews.url,
      EWS_AUTH: 'ntlm',
      EWS_USERNAME: ews.account.username,
      EWS_PASSWORD: ews.account.password,
      EWS_DOMAIN: ews.account.domain,
      // The demo should not wait ten seconds for an approval to show.
      EWS_POLL_INTERVAL_MS: Math.min(settings.EWS_POLL_INTERVAL_MS, 1000),
    },
    close: () => ews.close(),
  };
}

/**
 * `oidcInService`: the identity provider's endpoints are served by the service itself under
 * /sandbox/oidc (see sandboxRoutes), so a browser reaches them wherever the service is published
 * (Docker); otherwise the simulator has its own loopback port (tests, bench).
 */
export async function startSandbox(
  settings: Settings,
  options: { tlsDir?: string; oidcInService?: boolean; llmRoutes?: Record<LlmRoute, LlmProvider> } = {},
): Promise<Sandbox> {
  const hubspotToken = 'pat-eu1-sandbox';
  const useGmail = settings.DRAFTBRIDGE_MAIL === 'gmail';
  // The LLM providers the routes use (the policy's, or DRAFTBRIDGE_LLM for the eu route).
  const llmRoutes = options.llmRoutes ?? { eu: settings.DRAFTBRIDGE_LLM, local: 'local' };
  const llmProviders = Object.values(llmRoutes);
  // Graph and Dataverse (with their Entra token endpoints) run over TLS: MSAL refuses http authorities.
  // Bedrock too: its SDK speaks HTTP/2, which needs TLS.
  const needsTls = !useGmail || settings.DRAFTBRIDGE_CRM === 'dynamics' || llmProviders.includes('bedrock');
  const tls = needsTls
    ? await loadOrCreateSimulatorTls(options.tlsDir ?? join(process.cwd(), '.sandbox', 'tls'))
    : undefined;
  if (tls) trustSimulatorCa(tls.caPem);
  const cloudLlms = await startLlmProviderSimulators(llmProviders, tls);
  const [hubspot, llm, oidc, mail] = await Promise.all([
    startHubSpotSimulator({ accessToken: hubspotToken }),
    startAzureOpenAiSimulator(),
    startOidcSimulator(options.oidcInService ? { mountedAt: `${settings.publicUrl}/sandbox/oidc` } : {}),
    useGmail
      ? startGmailMail(settings)
      : settings.DRAFTBRIDGE_MAIL === 'ews'
        ? startEwsMail(settings, tls!)
        : startGraphMail(settings, tls!),
  ]);
  const salesforce =
    settings.DRAFTBRIDGE_CRM === 'salesforce'
      ? await startSalesforceSimulator({ orgId: SANDBOX_SALESFORCE_ORG_ID })
      : undefined;
  if (salesforce) seedSalesforceSandbox(salesforce, SANDBOX_CONTACTS, SANDBOX_OWNERS);
  const dynamics =
    settings.DRAFTBRIDGE_CRM === 'dynamics'
      ? await startDataverseSimulator({ tls: tls!, organizationId: SANDBOX_DATAVERSE_ORG_ID })
      : undefined;
  if (dynamics) seedDataverseSandbox(dynamics, SANDBOX_CONTACTS, SANDBOX_OWNERS);
  for (const p of DRAFTBRIDGE_PROPERTIES) hubspot.propertyDefinitions.set(p.name, { ...p });
  for (const c of SANDBOX_CONTACTS) hubspot.seedContact({ id: c.id, properties: c.properties });
  for (const o of SANDBOX_OWNERS) {
    hubspot.seedOwner(o);
    mail.addMailbox(o.email);
  }
  // Busy blocks in the owners' Outlook or Google calendars, so the offered slots visibly avoid them.
  if ('graph' in mail)
    seedSandboxCalendars(
      (box, start, end) => mail.graph.addEvent(box, { subject: 'Termin', start, end }),
      new Date(),
    );
  if ('gmail' in mail)
    seedSandboxCalendars(
      (box, start, end) => mail.gmail.calendar.addEvent(box, start, end, 'Termin'),
      new Date(),
    );
  if ('ews' in mail)
    seedSandboxCalendars(
      (box, start, end) => mail.ews.addEvent(box, { subject: 'Termin', start, end }),
      new Date(),
    );
  const sandboxSettings: Settings = {
    ...settings,
    HUBSPOT_CLIENT_SECRET: settings.HUBSPOT_CLIENT_SECRET ?? SANDBOX_HUBSPOT_SECRET,
    HUBSPOT_ACCESS_TOKEN: hubspotToken,
    HUBSPOT_BASE_URL: hubspot.url,
    ...(salesforce
      ? {
          SALESFORCE_LOGIN_URL: salesforce.url,
          SALESFORCE_CLIENT_ID: salesforce.clientId,
          SALESFORCE_CLIENT_SECRET: salesforce.clientSecret,
          SALESFORCE_ORG_ID: salesforce.orgId,
        }
      : {}),
    ...(dynamics
      ? {
          DATAVERSE_URL: dynamics.url,
          DATAVERSE_TENANT_ID: dynamics.tenantId,
          DATAVERSE_CLIENT_ID: dynamics.clientId,
          DATAVERSE_CLIENT_SECRET: dynamics.clientSecret,
          DATAVERSE_AUTHORITY_HOST: dynamics.url,
          DATAVERSE_WEBHOOK_KEY: settings.DATAVERSE_WEBHOOK_KEY ?? randomBytes(24).toString('base64url'),
        }
      : {}),
    AZURE_OPENAI_ENDPOINT: llm.url,
    AZURE_OPENAI_API_KEY: llm.apiKey,
    AZURE_OPENAI_DEPLOYMENT: llm.deployment,
    AZURE_OPENAI_REGION: 'swedencentral',
    LOCAL_LLM_BASE_URL: `${llm.url}/v1`,
    LOCAL_LLM_MODEL: 'llama3.1:8b',
    // Sign-in works with no account: the simulator is the identity provider unless a real one is set.
    ...(settings.DRAFTBRIDGE_OIDC_ISSUER
      ? {}
      : {
          DRAFTBRIDGE_OIDC_ISSUER: oidc.issuer,
          DRAFTBRIDGE_OIDC_AUDIENCE: oidc.audience,
          DRAFTBRIDGE_OIDC_CLIENT_ID: oidc.clientId,
          DRAFTBRIDGE_OIDC_CLIENT_SECRET: oidc.clientSecret,
        }),
    ...mail.settings,
    ...cloudLlms.settings,
  };
  const euProvider = llmRoutes.eu;
  return {
    hubspot,
    ...(salesforce ? { salesforce } : {}),
    ...(dynamics ? { dynamics } : {}),
    mail: useGmail ? 'gmail' : 'ews' in mail ? 'ews' : 'graph',
    get graph(): GraphSimulator {
      if ('graph' in mail) return mail.graph;
      throw new Error(`this sandbox runs ${settings.DRAFTBRIDGE_MAIL} (DRAFTBRIDGE_MAIL), not Graph`);
    },
    ...('ews' in mail ? { ews: mail.ews } : {}),
    ...('gmail' in mail ? { gmail: mail.gmail } : {}),
    llm,
    llmProviders: cloudLlms.simulators,
    euLlm:
      (euProvider !== 'azure' && euProvider !== 'local' ? cloudLlms.simulators[euProvider] : undefined) ??
      llm,
    oidc,
    settings: sandboxSettings,
    async close() {
      await Promise.all([
        hubspot.close(),
        mail.close(),
        llm.close(),
        oidc.close(),
        salesforce?.close(),
        dynamics?.close(),
        cloudLlms.close(),
      ]);
    },
  };
}
