import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  graphError,
  MAX_MESSAGE_SUBSCRIPTION_MINUTES,
  type GraphSimState,
  type SimSubscription,
} from './state.ts';

/** Subscriptions with Graph's validation handshake and expiry limits (mounted under /v1.0). */
export function subscriptionRoutes(graph: FastifyInstance, state: GraphSimState): void {
  graph.post('/subscriptions', async (request: FastifyRequest<{ Body: Record<string, string> }>, reply) => {
    const b = request.body ?? {};
    for (const field of ['changeType', 'notificationUrl', 'resource', 'expirationDateTime']) {
      if (!b[field])
        return graphError(reply, 400, 'InvalidRequest', `Subscription property '${field}' is required.`);
    }
    const httpsOnly = (u: string) =>
      u.startsWith('https://') ||
      (state.allowHttpNotificationUrls && /^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(u));
    if (!httpsOnly(b.notificationUrl!))
      return graphError(reply, 400, 'ValidationError', 'The Notification Url must be a valid https url.');
    if (b.lifecycleNotificationUrl && !httpsOnly(b.lifecycleNotificationUrl))
      return graphError(
        reply,
        400,
        'ValidationError',
        'The lifecycle notification url must be a valid https url.',
      );
    if ((b.clientState ?? '').length > 128)
      return graphError(reply, 400, 'ValidationError', 'clientState must be at most 128 characters.');
    const minutes = (Date.parse(b.expirationDateTime!) - Date.now()) / 60_000;
    if (!(minutes > 0) || minutes > MAX_MESSAGE_SUBSCRIPTION_MINUTES)
      return graphError(
        reply,
        400,
        'InvalidRequest',
        `Subscription expiration can only be ${MAX_MESSAGE_SUBSCRIPTION_MINUTES} minutes in the future.`,
      );
    // The validation handshake: the endpoint must echo the token as text/plain within 10 s.
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const ok = await fetch(
      `${b.notificationUrl}${b.notificationUrl!.includes('?') ? '&' : '?'}validationToken=${encodeURIComponent(token)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        signal: AbortSignal.timeout(10_000),
      },
    )
      .then(
        async (r) =>
          r.status === 200 &&
          /^text\/plain/.test(r.headers.get('content-type') ?? '') &&
          (await r.text()) === token,
      )
      .catch(() => false);
    if (!ok)
      return graphError(
        reply,
        400,
        'ValidationError',
        'Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.',
      );
    const sub: SimSubscription = {
      id: randomUUID(),
      resource: b.resource!,
      changeType: b.changeType!,
      notificationUrl: b.notificationUrl!,
      ...(b.lifecycleNotificationUrl ? { lifecycleNotificationUrl: b.lifecycleNotificationUrl } : {}),
      ...(b.clientState ? { clientState: b.clientState } : {}),
      expirationDateTime: new Date(b.expirationDateTime!).toISOString(),
    };
    state.subscriptions.set(sub.id, sub);
    return reply.code(201).send({
      '@odata.context': `${state.origin}/v1.0/$metadata#subscriptions/$entity`,
      ...sub,
      applicationId: state.clientId,
      creatorId: randomUUID(),
      includeResourceData: false,
      latestSupportedTlsVersion: 'v1_2',
      encryptionCertificate: null,
      encryptionCertificateId: null,
      notificationUrlAppId: null,
    });
  });
  graph.patch(
    '/subscriptions/:id',
    async (
      request: FastifyRequest<{ Params: { id: string }; Body: { expirationDateTime?: string } }>,
      reply,
    ) => {
      const sub = state.subscriptions.get(request.params.id);
      if (!sub) return graphError(reply, 404, 'ResourceNotFound', 'The object was not found.');
      const minutes = (Date.parse(request.body?.expirationDateTime ?? '') - Date.now()) / 60_000;
      if (!(minutes > 0) || minutes > MAX_MESSAGE_SUBSCRIPTION_MINUTES)
        return graphError(
          reply,
          400,
          'InvalidRequest',
          `Subscription expiration can only be ${MAX_MESSAGE_SUBSCRIPTION_MINUTES} minutes in the future.`,
        );
      sub.expirationDateTime = new Date(request.body!.expirationDateTime!).toISOString();
      return reply.send({ '@odata.context': `${state.origin}/v1.0/$metadata#subscriptions/$entity`, ...sub });
    },
  );
  graph.delete('/subscriptions/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    if (!state.subscriptions.delete(request.params.id))
      return graphError(reply, 404, 'ResourceNotFound', 'The object was not found.');
    return reply.code(204).send();
  });
}
