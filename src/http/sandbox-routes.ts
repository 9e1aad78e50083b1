import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app.ts';
import type { Sandbox } from '../sandbox.ts';
import { RequestStore } from '../pipeline/request-state.ts';

/**
 * Sandbox only (never mounted otherwise): where did a request's draft land? `draftbridge demo` polls
 * this, since the simulated Outlook and CRM live inside the service process. All data here is invented.
 */
export function sandboxRoutes(ctx: AppContext, sandbox: Sandbox) {
  return async (app: FastifyInstance) => {
    // The simulated Entra ID, when the sandbox serves it in-process (`draftbridge serve`).
    if (sandbox.oidc.plugin) await app.register(sandbox.oidc.plugin, { prefix: '/sandbox/oidc' });
    const requests = new RequestStore(ctx.redis, { prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX, ttlMs: 1, audit: ctx.audit });
    app.get('/sandbox/requests/:requestId', async (request, reply) => {
      const { requestId } = request.params as { requestId: string };
      const record = await requests.get(requestId);
      if (!record) return reply.code(404).send({ error: 'unknown request (not yet taken from the queue?)' });
      const mailboxes = [...new Set(sandbox.hubspot.owners.values())].map((o) => o.email);
      const message = sandbox.gmail ? gmailDraft(sandbox, requestId) : mailboxes
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

/** The request's message in the simulated Gmail, shaped like the Outlook one (folder from its labels). */
function gmailDraft(sandbox: Sandbox, requestId: string) {
  const m = sandbox.gmail!.messagesFor(requestId).sort((a, b) => Number(b.labelIds.has('SENT')) - Number(a.labelIds.has('SENT')))[0];
  if (!m) return undefined;
  return {
    mailbox: m.mailbox,
    parentFolderId: m.labelIds.has('SENT') ? 'sent' : 'drafts',
    subject: m.subject,
    categories: m.labelNames.filter((n) => !/^[A-Z_]+$/.test(n)),
    toRecipients: m.to.map((address) => ({ emailAddress: { address } })),
    body: { content: m.text.replace(/\n$/, '') },
  };
}
