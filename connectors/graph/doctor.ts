import { hostOf, networkReason } from '../../src/errors.ts';
import type { DoctorCheck, DoctorContext } from '../../src/ports.ts';
import { GraphMail, graphCredential } from './connector.ts';

/**
 * Graph: an app-only token from Entra ID (tenant, client id, secret), then one mailbox's settings
 * (Mail/Calendars permissions, admin consent, and the application access policy that limits the
 * app to the sales mailboxes). The mailbox is the CRM's first owner unless DRAFTBRIDGE_DOCTOR_MAILBOX.
 */
export async function graphDoctor(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const { settings } = ctx;
  const options = {
    tenantId: settings.GRAPH_TENANT_ID ?? '',
    clientId: settings.GRAPH_CLIENT_ID ?? '',
    clientSecret: settings.GRAPH_CLIENT_SECRET ?? '',
    authorityHost: settings.GRAPH_AUTHORITY_HOST,
  };
  try {
    await graphCredential(options).getToken('https://graph.microsoft.com/.default', {
      abortSignal: AbortSignal.timeout(ctx.timeoutMs),
    });
  } catch (err) {
    return [tokenProblem(err, settings.GRAPH_AUTHORITY_HOST)];
  }
  const rows: DoctorCheck[] = [
    { name: 'Graph token', ok: true, detail: `app-only token from ${hostOf(settings.GRAPH_AUTHORITY_HOST)}` },
  ];
  const mailbox = ctx.findings.mailbox;
  if (!mailbox)
    return [
      ...rows,
      {
        name: 'Graph mailbox',
        ok: false,
        skipped: true,
        detail: 'no mailbox to read (the CRM check found no owner)',
      },
    ];
  try {
    const graph = new GraphMail({ ...options, baseUrl: settings.GRAPH_BASE_URL, mailboxConcurrency: 1 });
    const found = await graph.getCalendarSettings(mailbox);
    rows.push({
      name: 'Graph mailbox',
      ok: true,
      detail: `read the mailbox settings of the CRM's first owner (time zone ${found.timeZone ?? 'unset'})`,
    });
  } catch (err) {
    const status = (err as { status?: unknown }).status;
    const detail =
      status === 403
        ? "403 for the CRM's first owner's mailbox: grant Mail.ReadWrite, Mail.Send, MailboxSettings.Read, Calendars.Read with admin consent, and include the mailbox in the application access policy"
        : status === 404
          ? "the CRM's first owner has no Exchange Online mailbox under that address (404)"
          : `mailbox settings not readable: ${err instanceof Error ? err.message : String(err)}`;
    rows.push({
      name: 'Graph mailbox',
      ok: false,
      detail,
      setting: 'Entra app permissions / application access policy',
    });
  }
  return rows;
}

function tokenProblem(err: unknown, authority: string): DoctorCheck {
  const message = err instanceof Error ? err.message : String(err);
  const aadsts = /AADSTS\d+/.exec(message)?.[0];
  const base = { name: 'Graph token', ok: false } as const;
  if (aadsts === 'AADSTS7000215' || aadsts === 'AADSTS7000222' || /invalid_client/.test(message))
    return {
      ...base,
      detail: `Entra ID refused the client secret (${aadsts ?? 'invalid_client'}): wrong or expired; create a new one under Certificates & secrets`,
      setting: 'GRAPH_CLIENT_SECRET',
    };
  if (aadsts === 'AADSTS700016')
    return {
      ...base,
      detail: 'no application with this client id in the tenant (AADSTS700016)',
      setting: 'GRAPH_CLIENT_ID',
    };
  if (aadsts === 'AADSTS90002' || aadsts === 'AADSTS900023')
    return { ...base, detail: `tenant not found (${aadsts})`, setting: 'GRAPH_TENANT_ID' };
  const reason = networkReason(err);
  if (reason)
    return {
      ...base,
      detail: `${hostOf(authority)} not reachable (${reason})`,
      setting: 'GRAPH_AUTHORITY_HOST',
    };
  return {
    ...base,
    detail: `no token: ${message.split('\n')[0]}`,
    setting: 'GRAPH_TENANT_ID, GRAPH_CLIENT_ID, GRAPH_CLIENT_SECRET',
  };
}
