import { signV3 } from '../../connectors/hubspot/signature.ts';
import { SANDBOX_HUBSPOT_SECRET, SANDBOX_PORTAL_ID } from '../../sandbox/data.ts';

// Webhook events for the bench and chaos runs; no simulator code, so a measured process that imports
// this does not carry the simulators.

/** A HubSpot app-webhook event: a callback request (property change) or a new lead (creation). */
export function hubspotEvent(
  contactId: string,
  eventId: number,
  options: { lead?: boolean; attemptNumber?: number; occurredAt?: number } = {},
) {
  const lead = options.lead ?? false;
  return {
    eventId,
    subscriptionId: 1,
    portalId: SANDBOX_PORTAL_ID,
    appId: 1,
    occurredAt: options.occurredAt ?? Date.now(),
    subscriptionType: lead ? 'contact.creation' : 'contact.propertyChange',
    attemptNumber: options.attemptNumber ?? 0,
    objectId: Number(contactId),
    ...(lead ? {} : { propertyName: 'callback_requested', propertyValue: 'true' }),
  };
}

/** Delivers signed HubSpot webhook events through the app's inject path; returns the status code. */
export async function deliver(
  app: {
    inject(request: {
      method: 'POST';
      url: string;
      payload: string;
      headers: Record<string, string>;
    }): Promise<{ statusCode: number }>;
  },
  publicUrl: string,
  events: object[],
): Promise<number> {
  const body = JSON.stringify(events);
  const timestamp = Date.now();
  const res = await app.inject({
    method: 'POST',
    url: '/webhooks/hubspot',
    payload: body,
    headers: {
      'content-type': 'application/json',
      'x-hubspot-request-timestamp': String(timestamp),
      'x-hubspot-signature-v3': signV3({
        secret: SANDBOX_HUBSPOT_SECRET,
        method: 'POST',
        uri: `${publicUrl}/webhooks/hubspot`,
        body,
        timestamp,
      }),
    },
  });
  return res.statusCode;
}

export function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
