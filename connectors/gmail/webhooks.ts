import type { FastifyInstance } from 'fastify';
import type { OAuth2Client } from 'google-auth-library';
import { z } from 'zod';
import type { AppContext } from '../../src/app.ts';
import { webhookDeliveries } from '../../src/metrics.ts';
import type { GmailPush } from '../../src/pipeline/jobs.ts';
import { gmailWatchKey, mailboxRef } from '../../src/mailbox-ref.ts';

/**
 * POST /webhooks/gmail: Gmail's changes through a Pub/Sub push subscription with OIDC
 * authentication. The Bearer JWT must be signed by Google (certs from GOOGLE_CERTS_URL), for
 * GMAIL_PUSH_AUDIENCE, by GMAIL_PUSH_SERVICE_ACCOUNT with a verified email; anything else is 401.
 * `message.data` is base64 JSON {emailAddress, historyId}; the job carries the mailbox's keyed
 * reference and the history id only, one job per (mailbox, historyId). Answered 204 once queued
 * (Pub/Sub redelivers anything else), 503 when Redis cannot take it.
 */
const PushEnvelope = z.object({
  message: z.looseObject({
    data: z.string().min(1).max(4096),
    messageId: z.string().optional(),
    publishTime: z.string().optional(),
  }),
  subscription: z.string().optional(),
});
const GmailNotification = z.object({
  emailAddress: z.email(),
  // Observed pushes carry a number, Google's guide shows a string: accept both.
  historyId: z.union([z.number().int().nonnegative(), z.string().regex(/^\d{1,20}$/)]).transform(String),
});

export async function gmailWebhookRoutes(app: FastifyInstance, opts: { ctx: AppContext }): Promise<void> {
  const { ctx } = opts;
  const { settings } = ctx;
  // One client per server: it caches Google's certificates for as long as their Cache-Control allows.
  // google-auth-library loads with the first push: a deployment without Gmail never holds it.
  let verifier: Promise<OAuth2Client> | undefined;
  const getVerifier = () =>
    (verifier ??= import('google-auth-library').then(
      ({ OAuth2Client }) =>
        new OAuth2Client({ endpoints: { oauth2FederatedSignonPemCertsUrl: settings.GOOGLE_CERTS_URL } }),
    ));

  app.post('/webhooks/gmail', async (request, reply) => {
    const audience = settings.GMAIL_PUSH_AUDIENCE;
    const pusher = settings.GMAIL_PUSH_SERVICE_ACCOUNT;
    if (!audience || !pusher)
      return reply
        .code(404)
        .send({ error: 'Gmail push is not configured (GMAIL_PUSH_AUDIENCE, GMAIL_PUSH_SERVICE_ACCOUNT)' });
    const idToken = request.headers.authorization?.match(/^Bearer\s+(\S+)$/i)?.[1];
    let authentic = false;
    if (idToken) {
      try {
        const payload = (await (await getVerifier()).verifyIdToken({ idToken, audience })).getPayload();
        authentic = payload?.email === pusher && payload.email_verified === true;
      } catch {
        authentic = false; // bad signature, expired, wrong audience or issuer, certs unreachable
      }
    }
    if (!authentic) {
      webhookDeliveries.inc({ source: 'gmail', outcome: 'rejected_signature' });
      await ctx.audit
        .append({
          type: 'webhook.rejected_signature',
          actor: 'gmail',
          outcome: 'rejected_signature',
          details: {},
        })
        .catch(() => undefined);
      return reply.code(401).send({ error: 'invalid push token' });
    }
    const envelope = PushEnvelope.safeParse(request.body);
    const decoded = envelope.success
      ? safeJson(Buffer.from(envelope.data.message.data, 'base64').toString('utf8'))
      : undefined;
    const notification = GmailNotification.safeParse(decoded);
    if (!notification.success) {
      webhookDeliveries.inc({ source: 'gmail', outcome: 'rejected_shape' });
      return reply
        .code(400)
        .send({ error: 'invalid push: message.data must be base64 JSON {emailAddress, historyId}' });
    }
    const ref = mailboxRef(ctx.keys.audit, notification.data.emailAddress);
    try {
      // A mailbox nobody watches (any more): acknowledge, so Pub/Sub stops redelivering.
      if (!(await ctx.redis.exists(gmailWatchKey(settings.DRAFTBRIDGE_QUEUE_PREFIX, 'mailbox', ref)))) {
        webhookDeliveries.inc({ source: 'gmail', outcome: 'ignored' });
        return reply.code(204).send();
      }
      const data: GmailPush = {
        mailboxRef: ref,
        historyId: notification.data.historyId,
        receivedAt: Date.now(),
      };
      await ctx.queues['mail-events'].add('gmail-push', data, { jobId: `gmail-${ref}-${data.historyId}` });
    } catch {
      webhookDeliveries.inc({ source: 'gmail', outcome: 'unavailable' });
      return reply.code(503).header('retry-after', '30').send({ error: 'queue unavailable, retry later' });
    }
    webhookDeliveries.inc({ source: 'gmail', outcome: 'accepted' });
    return reply.code(204).send();
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
