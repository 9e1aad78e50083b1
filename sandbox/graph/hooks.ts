import { applyTransportFault, recordBody } from '../support.ts';
import type { FastifyInstance } from 'fastify';
import { graphError, type GraphSimState } from './state.ts';

/** Every Graph request: recorded, counted per mailbox (concurrency), authenticated, and faults injected. */
export function graphHooks(graph: FastifyInstance, state: GraphSimState): void {
  graph.addHook('onRequest', async (request, reply) => {
    state.faults.record(request);
    const user = request.url.match(/^\/v1\.0\/users\/([^/?]+)/)?.[1];
    if (user) {
      const key = decodeURIComponent(user).toLowerCase();
      const now = (state.inflight.get(key) ?? 0) + 1;
      state.inflight.set(key, now);
      state.peak.set(key, Math.max(state.peak.get(key) ?? 0, now));
      reply.raw.once('close', () => state.inflight.set(key, (state.inflight.get(key) ?? 1) - 1));
    }
    const auth = request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
    if (!auth || !state.tokens.has(auth))
      return graphError(reply, 401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    const fault = state.faults.take(request);
    if (!fault) return;
    if (fault.responseDelayMs)
      (request as unknown as { responseDelayMs?: number }).responseDelayMs = fault.responseDelayMs;
    if (await applyTransportFault(fault, reply, '{"value":[{"id":')) return reply;
    if (fault.status === 429 || fault.status === 503) {
      reply.header('retry-after', String(fault.retryAfterSeconds ?? 1));
      return graphError(
        reply,
        fault.status,
        fault.status === 429 ? 'TooManyRequests' : 'ServiceNotAvailable',
        fault.status === 429 ? 'Application is over its MailboxConcurrency limit.' : 'Service unavailable',
      );
    }
    if (fault.status)
      return graphError(reply, fault.status, 'generalException', 'General exception while processing');
  });
  graph.addHook('preHandler', async (request) => recordBody(request));
  graph.addHook('onSend', async (request) => {
    const delay = (request as unknown as { responseDelayMs?: number }).responseDelayMs;
    if (delay) await new Promise((r) => setTimeout(r, delay));
  });
}
