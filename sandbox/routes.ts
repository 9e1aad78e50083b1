import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { requestStoreFor, type AppContext } from '../src/app.ts';
import { describeLlmRoutes, providerName } from '../src/llm-residency.ts';
import { SANDBOX_CONTACTS, type Sandbox } from './index.ts';
import { dataverseView, fireDataverseTrigger, fireSalesforceTrigger, salesforceView } from './crm.ts';
import { ewsDraft, ewsMeeting, ewsSendForDemo } from './ews/demo.ts';
import { earlierOpenRequest } from '../src/pipeline/open-request.ts';

/**
 * Sandbox only (never mounted otherwise): where did a request's draft land? `draftbridge demo` polls
 * this, since the simulated Outlook and CRM live inside the service process. All data here is invented.
 */
const Params = z.object({ requestId: z.string() });
// `demo --reply N` answers "Option N"; `demo --reply-text` sends the user's own wording.
const ReplyBody = z.object({
  option: z.number().int().min(1).max(3).optional(),
  text: z.string().min(1).max(4000).optional(),
});
const NoteBody = z.object({ note: z.string().max(4000) });

function meetingFor(sandbox: Sandbox, mailboxes: string[], requestId: string) {
  // Meetings are booked in Outlook calendars (Graph or Exchange); the Gmail sandbox has none.
  if (sandbox.ews) return ewsMeeting(sandbox.ews, requestId);
  if (sandbox.mail !== 'graph') return null;
  for (const mailbox of mailboxes) {
    const e = sandbox.graph
      .events(mailbox)
      .find((x) => x.singleValueExtendedProperties.some((p) => p.value === requestId));
    if (e)
      return {
        mailbox,
        subject: e.subject,
        start: e.start,
        end: e.end,
        showAs: e.showAs,
        attendees: e.attendees.map((a) => a.emailAddress.address),
      };
  }
  return null;
}

export function sandboxRoutes(ctx: AppContext, sandbox: Sandbox) {
  return async (app: FastifyInstance) => {
    // The simulated Entra ID, when the sandbox serves it in-process (`draftbridge serve`).
    if (sandbox.oidc.plugin) await app.register(sandbox.oidc.plugin, { prefix: '/sandbox/oidc' });
    // The demo's routes act as the reviewer and the contact without credentials: only for callers on
    // this machine (the demo CLI, `docker compose exec`), never for whoever reaches a published port.
    // (The simulated Entra ID above is for browsers and stays open.)
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/sandbox/') || request.url.startsWith('/sandbox/oidc')) return;
      const from = request.socket.remoteAddress ?? '';
      if (!/^(127\.|::1$|::ffff:127\.)/.test(from))
        return reply.code(403).send({
          error: 'sandbox demo routes answer callers on this machine only (run draftbridge demo there)',
          code: 'forbidden',
        });
    });
    // `draftbridge demo` asks which CRM and mail system this sandbox simulates.
    app.get('/sandbox/info', async () => ({
      crm: ctx.settings.DRAFTBRIDGE_CRM,
      mail: ctx.settings.DRAFTBRIDGE_MAIL,
    }));
    // `draftbridge demo --crm salesforce`: the simulated org sends its Outbound Message to this service.
    app.post('/sandbox/trigger/:contact', async (request, reply) => {
      const person = SANDBOX_CONTACTS.find((c) => c.id === (request.params as { contact: string }).contact);
      if (!person) return reply.code(404).send({ error: 'unknown sandbox contact' });
      if (sandbox.salesforce) {
        const sent = await fireSalesforceTrigger(
          sandbox.salesforce,
          person,
          `${ctx.settings.publicUrl}/webhooks/salesforce`,
        );
        return {
          crm: 'salesforce',
          kind: 'outbound message from the simulated org',
          label: person.label,
          ...sent,
        };
      }
      if (sandbox.dynamics) {
        const sent = await fireDataverseTrigger(
          sandbox.dynamics,
          person,
          `${ctx.settings.publicUrl}/webhooks/dynamics`,
          { type: 'WebhookKey', key: ctx.settings.DATAVERSE_WEBHOOK_KEY ?? '' },
        );
        return {
          crm: 'dynamics',
          kind: 'webhook from the simulated Dataverse step',
          label: person.label,
          acked: sent.status === 204,
          ...sent,
        };
      }
      return reply
        .code(409)
        .send({ error: `the sandbox CRM is ${ctx.settings.DRAFTBRIDGE_CRM}; send its webhook directly` });
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
      const message = sandbox.gmail
        ? gmailDraft(sandbox, requestId)
        : sandbox.ews
          ? ewsDraft(sandbox.ews, requestId)
          : mailboxes
              .flatMap((mb) => sandbox.graph.mailbox(mb).messages)
              .find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId));
      const notes = sandbox.hubspot.notes.filter((n) =>
        n.associations.some((a) => a.to.id === record.contactId),
      );
      const crm = sandbox.salesforce
        ? salesforceView(sandbox.salesforce, record)
        : sandbox.dynamics
          ? dataverseView(sandbox.dynamics, record)
          : {
              status: sandbox.hubspot.contacts.get(record.contactId)?.properties.draftbridge_status ?? null,
              notes: notes.map((n) => n.properties.hs_note_body),
            };
      return {
        requestId,
        state: record.state,
        flow: record.flow,
        route: record.route ?? null,
        // Who drafted on that route: provider and region as configured (the demo prints them).
        llm: (() => {
          const r = describeLlmRoutes(ctx.settings, ctx.policy).find((d) => d.route === record.route);
          return r ? { provider: r.provider, name: providerName(r.provider), region: r.region } : null;
        })(),
        reason: record.reason ?? null,
        // A repeat trigger: the request whose draft still awaits review (one open request per contact and flow).
        repeatOf:
          record.reason === 'repeat'
            ? await earlierOpenRequest(
                requests,
                record,
                ctx.policy.defaults.openRequestWindow || Number.MAX_SAFE_INTEGER,
              )
            : null,
        templateFallback: record.templateFallback ?? null,
        draft: message
          ? {
              mailbox: message.mailbox,
              folder: message.parentFolderId,
              subject: message.subject,
              categories: message.categories,
              to: message.toRecipients.map((r) => r.emailAddress.address),
              body: message.body.content,
            }
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
      const body = ReplyBody.safeParse(request.body);
      if (!body.success || (body.data.option === undefined && body.data.text === undefined)) {
        return reply.code(400).send({
          error: 'option must be 1, 2 or 3 (the offered slot to choose), or text your own words',
          code: 'bad_option',
        });
      }
      const { option, text: ownText } = body.data;
      const record = await requests.get(requestId);
      if (!record) return reply.code(404).send({ error: 'unknown request' });
      const text =
        ownText ??
        (record.language === 'en' ? `Option ${option} works for me.` : `Option ${option} passt mir gut.`);
      if (sandbox.ews) {
        const sent = ewsSendForDemo(sandbox.ews, requestId);
        if (!sent) return reply.code(409).send({ error: 'no draft or sent mail for this request yet' });
        for (let i = 0; i < 100 && (await requests.get(requestId))?.state !== 'sent'; i++)
          await new Promise((r) => setTimeout(r, 100));
        sandbox.ews.simulateReply(sent.mailbox, sent.sentId, sent.contact, text);
        return reply.code(202).send({ replied: text });
      }
      if (sandbox.gmail) {
        // The reviewer sends the draft, then its recipient answers in the thread.
        const gmail = sandbox.gmail;
        const draft = gmail
          .messagesFor(requestId)
          .find((m) => m.labelIds.has('DRAFT') || m.labelIds.has('SENT'));
        if (!draft) return reply.code(409).send({ error: 'no draft or sent mail for this request yet' });
        if (draft.labelIds.has('DRAFT')) await gmail.sendDraftAsUser(draft.mailbox, draft.id);
        for (let i = 0; i < 100 && (await requests.get(requestId))?.state !== 'sent'; i++)
          await new Promise((r) => setTimeout(r, 100));
        await gmail.simulateReply(draft.mailbox, draft.threadId, draft.to[0] ?? 'contact@example.com', {
          text,
        });
        return reply.code(202).send({ replied: text });
      }
      const mailboxes = [...new Set(sandbox.hubspot.owners.values())].map((o) => o.email);
      const message = mailboxes
        .flatMap((mb) => sandbox.graph.mailbox(mb).messages)
        .find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId));
      if (!message) return reply.code(409).send({ error: 'no draft or sent mail for this request yet' });
      if (message.isDraft) await sandbox.graph.sendDraftAsUser(message.mailbox, message.immutableId);
      for (let i = 0; i < 100 && (await requests.get(requestId))?.state !== 'sent'; i++)
        await new Promise((r) => setTimeout(r, 100));
      // The draft's own recipient answers (the only address whose reply may book).
      const recipient = message.toRecipients[0]?.emailAddress.address ?? 'contact@example.com';
      await sandbox.graph.simulateReply(message.mailbox, message.conversationId, recipient, text);
      return reply.code(202).send({ replied: text });
    });
  };
}

/** The request's message in the simulated Gmail, shaped like the Outlook one (folder from its labels). */
function gmailDraft(sandbox: Sandbox, requestId: string) {
  const m = sandbox
    .gmail!.messagesFor(requestId)
    .sort((a, b) => Number(b.labelIds.has('SENT')) - Number(a.labelIds.has('SENT')))[0];
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
