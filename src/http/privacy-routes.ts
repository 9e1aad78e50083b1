import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { subjectRequestDeps, type AppContext } from '../app.ts';
import { recordOfProcessing } from '../privacy/ropa.ts';
import { complianceHandler } from './compliance-route.ts';
import type { CrmPort } from '../ports.ts';
import { accessRequest, erasureRequest, objectionRequest } from '../privacy/subject-requests.ts';
import { authenticatorFor, requireRole } from './access.ts';

/**
 * /privacy: the data-protection officer's endpoints (role `dpo`; viewers and operators get 403).
 * GET /privacy/ropa; GET /privacy/compliance (compliance-route.ts); POST /privacy/subjects/:contactId/{access,erasure,objection}.
 * Every call, refused ones included, is audited with the caller's reference (never a name).
 */
const Params = z.object({ contactId: z.string().regex(/^\d+$/, 'a CRM contact id'), kind: z.string() });

export function privacyRoutes(ctx: AppContext, crm?: CrmPort) {
  return async (app: FastifyInstance) => {
    const auth = authenticatorFor(ctx);
    app.addHook('onRequest', requireRole(auth, 'dpo'));
    // onSend, not onResponse: the event is written before the caller sees the answer.
    app.addHook('onSend', async (request, reply, payload) => {
      const params = Params.safeParse(request.params);
      const action =
        (request.params as { kind?: string }).kind ??
        (request.routeOptions.url === '/privacy/compliance' ? 'compliance' : 'ropa');
      await ctx.audit
        .append({
          type: 'privacy.call',
          subject: params.success
            ? ctx.audit.subjectRef(ctx.crm.name, 'contact', params.data.contactId)
            : null,
          actor: request.caller?.actor ?? 'unauthenticated',
          outcome:
            reply.statusCode < 300
              ? 'answered'
              : reply.statusCode === 401
                ? 'unauthenticated'
                : reply.statusCode === 403
                  ? 'forbidden'
                  : 'refused',
          details: {
            action: /^[a-z]{1,20}$/.test(action) ? action : 'unknown',
            status: reply.statusCode,
            via: request.caller?.via ?? null,
          },
        })
        .catch((err: Error) =>
          request.log.error({ err: { message: err.message } }, 'privacy call not audited'),
        );
      return payload;
    });
    const deps = subjectRequestDeps(ctx, crm);
    app.get('/privacy/ropa', async () => recordOfProcessing(ctx.policy, ctx.settings));
    app.get('/privacy/compliance', complianceHandler(ctx));
    app.post('/privacy/subjects/:contactId/:kind', async (request, reply) => {
      const params = Params.safeParse(request.params);
      if (!params.success) return reply.code(400).send({ error: params.error.issues[0]!.message });
      const { kind } = params.data;
      if (kind === 'access') return accessRequest(deps, params.data.contactId);
      if (kind === 'erasure') return erasureRequest(deps, params.data.contactId);
      if (kind === 'objection') return objectionRequest(deps, params.data.contactId);
      return reply.code(404).send({ error: 'use access, erasure or objection' });
    });
  };
}
