import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import { requireRole, type Authenticator } from './access.ts';
import { BOARD_CSP, sameOriginForAmbient, securityHeaders } from './hardening.ts';

/**
 * Bull Board, one instance per role: `/ops/queues` is read-only (viewers and up), `/ops/queues/manage`
 * lets operators retry, promote and clean jobs (and pause/resume queues). Adding, editing or
 * deleting job data is not offered to anyone: job payloads are the pipeline's contract.
 */

/** Job fields that are ids, codes or times; anything else is withheld, even if a future job carries it. */
const SHOWN_FIELDS = new Set([
  'requestId',
  'flow',
  'source',
  'portalId',
  'contactId',
  'eventId',
  'occurredAt',
  'receivedAt',
  'event',
  'subscriptionId',
  'changeType',
  'lifecycleEvent',
  'messageId',
]);
const CODE = /^[A-Za-z0-9._:=+/-]{1,200}$/;

export function idsAndCodesOnly(data: unknown): unknown {
  if (data === null || typeof data !== 'object' || Array.isArray(data))
    return showable(data) ? data : '[withheld]';
  const out: Record<string, unknown> = {};
  let withheld = 0;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (SHOWN_FIELDS.has(key) && showable(value)) out[key] = value;
    else withheld++;
  }
  if (withheld > 0) out.withheldFields = withheld;
  return out;
}

function showable(value: unknown): boolean {
  return (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    value === undefined ||
    value === null ||
    (typeof value === 'string' && CODE.test(value))
  );
}

interface BoardJob {
  failedReason?: unknown;
  stacktrace?: unknown;
  opts?: unknown;
}

/**
 * Bull Board prints a failed job's reason and stack trace as they are, and they are not formatter
 * fields: keep the reason only when it is a bare error code, drop stacks and job logs.
 */
export function withholdFailureText(body: unknown): unknown {
  const clean = (job: BoardJob) => {
    if (typeof job.failedReason === 'string' && !CODE.test(job.failedReason))
      job.failedReason = '[withheld: see the request in /ops]';
    if (Array.isArray(job.stacktrace)) job.stacktrace = [];
  };
  const b = body as { queues?: { jobs?: BoardJob[] }[]; job?: BoardJob; logs?: unknown[] };
  for (const q of b.queues ?? []) for (const j of q.jobs ?? []) clean(j);
  if (b.job) clean(b.job);
  if (Array.isArray(b.logs)) b.logs = [];
  return body;
}

async function sanitiseBoardJson(
  _request: unknown,
  reply: { getHeader(name: string): unknown },
  payload: unknown,
): Promise<unknown> {
  const type = String(reply.getHeader('content-type') ?? '');
  if (!type.includes('application/json') || typeof payload !== 'string') return payload;
  try {
    return JSON.stringify(withholdFailureText(JSON.parse(payload)));
  } catch {
    return payload;
  }
}

/**
 * Read routes a viewer does not get: Redis's version, OS, memory and port, worker connections,
 * job-scheduler templates (raw job data) and default options. Operators keep them.
 */
const OPERATOR_ONLY_READS = [
  /^\/api\/redis\//,
  /^\/api\/job-schedulers/,
  /^\/api\/metrics\//,
  /^\/api\/queues\/[^/]+\/(workers|default-job-options|job-data-schema|rate-limit)$/,
];

/** The Bull Board API routes an operator may call besides reading. */
const OPERATOR_ACTIONS = [
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|promote|clean)$/,
  /^\/api\/queues\/[^/]+\/(retry|clean)\/[a-z]+$/,
  /^\/api\/queues\/[^/]+\/(promote|pause|resume)$/,
];

function adapters(ctx: AppContext, readOnlyMode: boolean) {
  return Object.values(ctx.queues).map((q) => {
    const adapter = new BullMQAdapter(q, { readOnlyMode });
    adapter.setFormatter('data', idsAndCodesOnly);
    adapter.setFormatter('returnValue', idsAndCodesOnly);
    adapter.setFormatter('progress', (p: unknown) => (typeof p === 'number' ? p : 0));
    return adapter;
  });
}

export async function opsBoards(
  app: FastifyInstance,
  opts: { ctx: AppContext; auth: Authenticator },
): Promise<void> {
  const { ctx, auth } = opts;

  await app.register(async (viewer) => {
    viewer.addHook('onRequest', securityHeaders(BOARD_CSP));
    viewer.addHook('onRequest', requireRole(auth, 'viewer'));
    viewer.addHook('onRequest', async (request, reply) => {
      const path = request.url.split('?')[0]!.slice('/ops/queues'.length);
      if (OPERATOR_ONLY_READS.some((re) => re.test(path)))
        return reply.code(403).send({ error: 'operators only', code: 'forbidden' });
    });
    viewer.addHook('onSend', sanitiseBoardJson);
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath('/ops/queues');
    createBullBoard({
      queues: adapters(ctx, true),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'draftbridge (read-only)' } },
    });
    await viewer.register(serverAdapter.registerPlugin(), { prefix: '/ops/queues' });
  });

  await app.register(async (operator) => {
    operator.addHook('onRequest', securityHeaders(BOARD_CSP));
    operator.addHook('onRequest', requireRole(auth, 'operator'));
    // Manage actions with a browser's own credential (session cookie, Basic) must come from this site.
    operator.addHook('onRequest', sameOriginForAmbient(ctx.settings.publicUrl));
    operator.addHook('onSend', sanitiseBoardJson);
    operator.addHook('onRequest', async (request, reply) => {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      const path = request.url.split('?')[0]!.slice('/ops/queues/manage'.length);
      if (!OPERATOR_ACTIONS.some((re) => re.test(path)))
        return reply.code(403).send({
          error: 'operators may retry, promote, clean, pause and resume only',
          code: 'forbidden_action',
        });
    });
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath('/ops/queues/manage');
    createBullBoard({
      queues: adapters(ctx, false),
      serverAdapter,
      options: { uiConfig: { boardTitle: 'draftbridge (operator)' } },
    });
    await operator.register(serverAdapter.registerPlugin(), { prefix: '/ops/queues/manage' });
  });
}
