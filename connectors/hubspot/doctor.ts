import { Client } from '@hubspot/api-client';
import { hostOf, networkReason } from '../../src/errors.ts';
import type { DoctorCheck, DoctorContext } from '../../src/ports.ts';

/**
 * HubSpot: the private app's token works and can read owners (crm.objects.owners.read); the first
 * owner's mailbox is what the mail check reads next.
 */
export async function hubspotDoctor(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const { settings } = ctx;
  const client = new Client({
    accessToken: settings.HUBSPOT_ACCESS_TOKEN ?? '',
    basePath: settings.HUBSPOT_BASE_URL,
    numberOfApiCallRetries: 0,
  });
  try {
    const page = await client.crm.owners.ownersApi.getPage(undefined, undefined, 1);
    const owner = page.results[0];
    if (!owner)
      return [
        {
          name: 'HubSpot owners',
          ok: false,
          detail: 'the token works, but the portal has no owners (users) to draft for',
          setting: 'HubSpot users',
        },
      ];
    if (owner.email) ctx.findings.mailbox ??= owner.email;
    return [
      {
        name: 'HubSpot token',
        ok: true,
        detail: `read owner ${owner.id} on ${hostOf(settings.HUBSPOT_BASE_URL)}`,
      },
    ];
  } catch (err) {
    const status = (err as { code?: unknown }).code;
    if (status === 401)
      return [
        {
          name: 'HubSpot token',
          ok: false,
          detail: "HubSpot refused the token (401): copy the private app's access token again",
          setting: 'HUBSPOT_ACCESS_TOKEN',
        },
      ];
    if (status === 403)
      return [
        {
          name: 'HubSpot token',
          ok: false,
          detail:
            'the token lacks a scope (403): give the private app crm.objects.owners.read and the contact scopes',
          setting: 'HUBSPOT_ACCESS_TOKEN (app scopes)',
        },
      ];
    const reason =
      networkReason(err) ??
      (typeof status === 'number' ? `HTTP ${status}` : err instanceof Error ? err.message : String(err));
    return [
      {
        name: 'HubSpot token',
        ok: false,
        detail: `${hostOf(settings.HUBSPOT_BASE_URL)} not reachable (${reason})`,
        setting: 'HUBSPOT_BASE_URL',
      },
    ];
  }
}
