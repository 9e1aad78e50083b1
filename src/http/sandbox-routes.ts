import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requestStoreFor, type AppContext } from '../app.ts';
import type { Sandbox } from '../sandbox.ts';

/**
 * Sandbox only (never mounted otherwise): where did a request's draft land? `draftbridge demo` polls
 * this, since the simulated Outlook and CRM live inside the service process. All data here is invented.
 */
const Params = z.object({ requestId: z.string() });

export function sandboxRoutes(ctx: AppContext, sandbox: Sandbox) {
  return async (app: FastifyInstance) => {
    const requests = requestStoreFor(ctx);
    app.get('/sandbox/requests/:requestId', async (request, reply) => {
      const { requestId } = Params.parse(request.params);
      const record = await requests.get(requestId);
      if (!record) return reply.code(404).send({ error: 'unknown request (not yet taken from the queue?)' });
      const mailboxes = [...new Set(sandbox.hubspot.owners.values())].map((o) => o.email);
      const message = mailboxes
        .flatMap((mb) => sandbox.graph.mailbox(mb).messages)
        .find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId));
      const notes = sandbox.hubspot.notes.filter((n) => n.associations.some((a) => a.to.id === record.contactId));
      return {
        requestId,
        state: record.state,
        flow: record.flow,
        route: record.route ?? null,
        reason: record.reason ?? null,
        templateFallback: record.templateFallback ?? null,
        draft: message
          ? { mailbox: message.mailbox, folder: message.parentFolderId, subject: message.subject, categories: message.categories, to: message.toRecipients.map((r) => r.emailAddress.address), body: message.body.content }
          : null,
        crm: { status: sandbox.hubspot.contacts.get(record.contactId)?.properties.draftbridge_status ?? null, notes: notes.map((n) => n.properties.hs_note_body) },
        llmRequests: sandbox.llm.requests.length,
      };
    });
  };
}
