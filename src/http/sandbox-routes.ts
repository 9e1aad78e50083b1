import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requestStoreFor, type AppContext } from '../app.ts';
import type { Sandbox } from '../sandbox.ts';

/**
 * Sandbox only (never mounted otherwise): where did a request's draft land? `draftbridge demo` polls
 * this, since the simulated Outlook and CRM live inside the service process. All data here is invented.
 */
const Params = z.object({ requestId: z.string() });
const ReplyBody = z.object({ option: z.number().int().min(1).max(3) });

function meetingFor(sandbox: Sandbox, mailboxes: string[], requestId: string) {
  for (const mailbox of mailboxes) {
    const e = sandbox.graph.events(mailbox).find((x) => x.singleValueExtendedProperties.some((p) => p.value === requestId));
    if (e) return { mailbox, subject: e.subject, start: e.start, end: e.end, showAs: e.showAs, attendees: e.attendees.map((a) => a.emailAddress.address) };
  }
  return null;
}

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
        slots: (record.slots ?? '').split(' ').filter(Boolean),
        meeting: meetingFor(sandbox, mailboxes, requestId),
      };
    });

    // The demo's reviewer and contact: send the draft (approval), then answer it choosing an option.
    app.post('/sandbox/requests/:requestId/reply', async (request, reply) => {
      const { requestId } = Params.parse(request.params);
      const { option } = ReplyBody.parse(request.body);
      const record = await requests.get(requestId);
      if (!record) return reply.code(404).send({ error: 'unknown request' });
      const mailboxes = [...new Set(sandbox.hubspot.owners.values())].map((o) => o.email);
      const message = mailboxes.flatMap((mb) => sandbox.graph.mailbox(mb).messages).find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId));
      if (!message) return reply.code(409).send({ error: 'no draft or sent mail for this request yet' });
      if (message.isDraft) await sandbox.graph.sendDraftAsUser(message.mailbox, message.immutableId);
      for (let i = 0; i < 100 && (await requests.get(requestId))?.state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 100));
      const contact = sandbox.hubspot.contacts.get(record.contactId);
      const text = record.language === 'en' ? `Option ${option} works for me.` : `Option ${option} passt mir gut.`;
      await sandbox.graph.simulateReply(message.mailbox, message.conversationId, contact?.properties.email ?? 'contact@example.com', text);
      return reply.code(202).send({ replied: text });
    });
  };
}
