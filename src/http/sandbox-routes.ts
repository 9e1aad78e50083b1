import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requestStoreFor, type AppContext } from '../app.ts';
import { SANDBOX_CONTACTS, type Sandbox } from '../sandbox.ts';
import { dataverseView, fireDataverseTrigger, fireSalesforceTrigger, salesforceView } from '../sandbox-crm.ts';

/**
 * Sandbox only (never mounted otherwise): where did a request's draft land? `draftbridge demo` polls
 * this, since the simulated Outlook and CRM live inside the service process. All data here is invented.
 */
const Params = z.object({ requestId: z.string() });
// `demo --reply N` answers "Option N"; `demo --reply-text` sends the user's own wording.
const ReplyBody = z.object({ option: z.number().int().min(1).max(3).optional(), text: z.string().min(1).max(4000).optional() });
const NoteBody = z.object({ note: z.string().max(4000) });

function meetingFor(sandbox: Sandbox, mailboxes: string[], requestId: string) {
  // Meetings are booked in Outlook calendars; the Gmail sandbox has none.
  if (sandbox.mail !== 'graph') return null;
  for (const mailbox of mailboxes) {
    const e = sandbox.graph.events(mailbox).find((x) => x.singleValueExtendedProperties.some((p) => p.value === requestId));
    if (e) return { mailbox, subject: e.subject, start: e.start, end: e.end, showAs: e.showAs, attendees: e.attendees.map((a) => a.emailAddress.address) };
  }
  return null;
}

export function sandboxRoutes(ctx: AppContext, sandbox: Sandbox) {
  return async (app: FastifyInstance) => {
    // The simulated Entra ID, when the sandbox serves it in-process (`draftbridge serve`).
    if (sandbox.oidc.plugin) await app.register(sandbox.oidc.plugin, { prefix: '/sandbox/oidc' });
    // `draftbridge demo --crm salesforce`: the simulated org sends its Outbound Message to this service.
    app.post('/sandbox/trigger/:contact', async (request, reply) => {
      const person = SANDBOX_CONTACTS.find((c) => c.id === (request.params as { contact: string }).contact);
      if (!person) return reply.code(404).send({ error: 'unknown sandbox contact' });
      if (sandbox.salesforce) {
        const sent = await fireSalesforceTrigger(sandbox.salesforce, person, `${ctx.settings.publicUrl}/webhooks/salesforce`);
        return { crm: 'salesforce', kind: 'outbound message from the simulated org', label: person.label, ...sent };
      }
      if (sandbox.dynamics) {
        const sent = await fireDataverseTrigger(sandbox.dynamics, person, `${ctx.settings.publicUrl}/webhooks/dynamics`, { type: 'WebhookKey', key: ctx.settings.DATAVERSE_WEBHOOK_KEY ?? '' });
        return { crm: 'dynamics', kind: 'webhook from the simulated Dataverse step', label: person.label, acked: sent.status === 204, ...sent };
      }
      return reply.code(409).send({ error: `the sandbox CRM is ${ctx.settings.DRAFTBRIDGE_CRM}; send its webhook directly` });
    });

    // `demo --note TEXT`: the contact's callback note in the simulated HubSpot, before the trigger.
    app.post('/sandbox/contacts/:contact/note', async (request, reply) => {
      const contact = sandbox.hubspot.contacts.get((request.params as { contact: string }).contact);
      if (!contact) return reply.code(404).send({ error: 'unknown sandbox contact' });
      const { note } = NoteBody.parse(request.body);
      contact.properties.callback_notes = note;
      return reply.code(204).send();
    });

    const requests = requestStoreFor(ctx);
    app.get('/sandbox/requests/:requestId', async (request, reply) => {
      const { requestId } = Params.parse(request.params);
      const record = await requests.get(requestId);
      if (!record) return reply.code(404).send({ error: 'unknown request (not yet taken from the queue?)' });
      const mailboxes = [...new Set(sandbox.hubspot.owners.values())].map((o) => o.email);
      const message = sandbox.gmail ? gmailDraft(sandbox, requestId) : mailboxes
        .flatMap((mb) => sandbox.graph.mailbox(mb).messages)
        .find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId));
      const notes = sandbox.hubspot.notes.filter((n) => n.associations.some((a) => a.to.id === record.contactId));
      const crm = sandbox.salesforce
        ? salesforceView(sandbox.salesforce, record)
        : sandbox.dynamics
          ? dataverseView(sandbox.dynamics, record)
          : { status: sandbox.hubspot.contacts.get(record.contactId)?.properties.draftbridge_status ?? null, notes: notes.map((n) => n.properties.hs_note_body) };
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
        crm,
        llmRequests: sandbox.llm.requests.length,
        slots: (record.slots ?? '').split(' ').filter(Boolean),
        meeting: meetingFor(sandbox, mailboxes, requestId),
      };
    });

    // The demo's reviewer and contact: send the draft (approval), then answer it choosing an option.
    app.post('/sandbox/requests/:requestId/reply', async (request, reply) => {
      const { requestId } = Params.parse(request.params);
      const { option, text: ownText } = ReplyBody.parse(request.body);
      const record = await requests.get(requestId);
      if (!record) return reply.code(404).send({ error: 'unknown request' });
      const contact = sandbox.hubspot.contacts.get(record.contactId);
      const text = ownText ?? (record.language === 'en' ? `Option ${option ?? 1} works for me.` : `Option ${option ?? 1} passt mir gut.`);
      if (sandbox.mail !== 'graph') {
        // Gmail has no calendar here: the reply is read and reported for the rep, nothing is booked.
        const gmail = sandbox.gmail;
        const owner = [...new Set(sandbox.hubspot.owners.values())].map((o) => o.email)[0]!;
        const draft = gmail?.messagesFor(requestId).find((m) => m.labelIds.has('DRAFT') || m.labelIds.has('SENT'));
        if (!gmail || !draft) return reply.code(409).send({ error: 'no draft or sent mail for this request yet' });
        if (draft.labelIds.has('DRAFT')) await gmail.sendDraftAsUser(owner, draft.id);
        for (let i = 0; i < 100 && (await requests.get(requestId))?.state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 100));
        await gmail.simulateReply(owner, draft.threadId, contact?.properties.email ?? 'contact@example.com', { text });
        return reply.code(202).send({ replied: text });
      }
      const mailboxes = [...new Set(sandbox.hubspot.owners.values())].map((o) => o.email);
      const message = mailboxes.flatMap((mb) => sandbox.graph.mailbox(mb).messages).find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId));
      if (!message) return reply.code(409).send({ error: 'no draft or sent mail for this request yet' });
      if (message.isDraft) await sandbox.graph.sendDraftAsUser(message.mailbox, message.immutableId);
      for (let i = 0; i < 100 && (await requests.get(requestId))?.state !== 'sent'; i++) await new Promise((r) => setTimeout(r, 100));
      await sandbox.graph.simulateReply(message.mailbox, message.conversationId, contact?.properties.email ?? 'contact@example.com', text);
      return reply.code(202).send({ replied: text });
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
