import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { subjectRequestDeps, type AppContext } from '../app.ts';
import { recordOfProcessing } from '../privacy/ropa.ts';
import type { CrmPort } from '../ports.ts';
import { accessRequest, erasureRequest, objectionRequest } from '../privacy/subject-requests.ts';
import { opsCredentialsConfigured, requireOpsAuth } from './ops.ts';

/**
 * /privacy: the data-protection officer's endpoints, behind the same credentials as the ops dashboard.
 * GET /privacy/ropa; POST /privacy/subjects/:contactId/{access,erasure,objection}.
 */
const Params = z.object({ contactId: z.string().regex(/^\d+$/, 'a CRM contact id'), kind: z.string() });

export function privacyRoutes(ctx: AppContext, crm?: CrmPort) {
  return async (app: FastifyInstance) => {
    if (!opsCredentialsConfigured(ctx)) {
      app.all('/privacy/*', async (_req, reply) => reply.code(404).send({ error: 'privacy endpoints disabled: no ops credentials configured' }));
      return;
    }
    app.addHook('onRequest', requireOpsAuth(ctx));
    const deps = subjectRequestDeps(ctx, crm);
    app.get('/privacy/ropa', async () => recordOfProcessing(ctx.policy, ctx.settings));
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
