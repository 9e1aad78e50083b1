import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { graphError, type GraphSimState, type Mailbox, type SimMessage } from './state.ts';

const PAGE_SIZE = 10;

/** `singleValueExtendedProperties/any(ep: ep/id eq '…' and ep/value eq '…')` */
const EP_FILTER =
  /singleValueExtendedProperties\/any\(\s*(\w+)\s*:\s*\1\/id eq '((?:[^']|'')*)' and \1\/value eq '((?:[^']|'')*)'\s*\)/i;

/** Messages, drafts, send, sendMail, $filter/$expand on extended properties, and delta (mounted under /v1.0). */
export function messageRoutes(graph: FastifyInstance, state: GraphSimState): void {
  const immutable = (request: FastifyRequest) =>
    /IdType="ImmutableId"/i.test(String(request.headers.prefer ?? ''));
  const view = (m: SimMessage, request: FastifyRequest, expand = false) => ({
    '@odata.context': `${state.origin}/v1.0/$metadata#users('${m.mailbox}')/messages/$entity`,
    '@odata.etag': `W/"${m.changeKey}"`,
    id: immutable(request) ? m.immutableId : m.id,
    createdDateTime: m.createdDateTime,
    lastModifiedDateTime: m.lastModifiedDateTime,
    changeKey: m.changeKey,
    categories: m.categories,
    sentDateTime: m.sentDateTime,
    hasAttachments: false,
    internetMessageId: m.internetMessageId,
    subject: m.subject,
    bodyPreview: m.body.content.slice(0, 255),
    importance: 'normal',
    parentFolderId: m.parentFolderId,
    conversationId: m.conversationId,
    isDraft: m.isDraft,
    webLink: `https://outlook.office365.com/owa/?ItemID=${encodeURIComponent(m.immutableId)}&exvsurl=1&viewmodel=ReadMessageItem`,
    body: m.body,
    toRecipients: m.toRecipients,
    ccRecipients: [],
    bccRecipients: [],
    from: m.from ?? null,
    ...(expand ? { singleValueExtendedProperties: m.singleValueExtendedProperties } : {}),
    // Graph returns the Internet headers only when $select names them.
    ...(m.internetMessageHeaders &&
    /internetMessageHeaders/i.test(String((request.query as Record<string, unknown>).$select ?? ''))
      ? { internetMessageHeaders: m.internetMessageHeaders }
      : {}),
  });
  const messageOf = (box: Mailbox, id: string) =>
    box.messages.get(id) ?? [...box.messages.values()].find((m) => m.immutableId === id);

  const createMessage = (
    box: Mailbox,
    body: Record<string, unknown>,
    folder: SimMessage['parentFolderId'],
    isDraft: boolean,
  ): SimMessage => {
    const now = new Date().toISOString();
    const id = `AAMkAD${randomBytes(30).toString('base64url')}=`;
    const m: SimMessage = {
      id,
      immutableId: `AAkALg${randomBytes(30).toString('base64url')}=`,
      mailbox: box.upn,
      parentFolderId: folder,
      isDraft,
      subject: String(body.subject ?? ''),
      body: (body.body as SimMessage['body']) ?? { contentType: 'text', content: '' },
      toRecipients: (body.toRecipients as SimMessage['toRecipients']) ?? [],
      from: { emailAddress: { address: box.upn } },
      categories: (body.categories as string[]) ?? [],
      singleValueExtendedProperties:
        (body.singleValueExtendedProperties as SimMessage['singleValueExtendedProperties']) ?? [],
      internetMessageId: `<${randomUUID()}@draftbridge.sandbox.example>`,
      conversationId: `AAQkAD${randomBytes(24).toString('base64url')}=`,
      createdDateTime: now,
      lastModifiedDateTime: now,
      sentDateTime: isDraft ? null : now,
      changeKey: randomBytes(12).toString('base64url'),
    };
    box.messages.set(id, m);
    for (const p of m.singleValueExtendedProperties) {
      if (!box.byPropertyValue.has(p.value)) box.byPropertyValue.set(p.value, new Set());
      box.byPropertyValue.get(p.value)!.add(m);
    }
    return m;
  };

  const validateMessage = (body: Record<string, unknown> | undefined): string | undefined => {
    if (!body || typeof body !== 'object') return 'Empty Payload. JSON content expected.';
    for (const ep of (body.singleValueExtendedProperties as { id?: string }[]) ?? []) {
      if (!/^String \{[0-9a-f-]{36}\} Name \w+$/i.test(ep.id ?? ''))
        return `Invalid extended property id '${ep.id}'.`;
    }
    return undefined;
  };

  const sendMove = async (box: Mailbox, m: SimMessage, request?: FastifyRequest) => {
    // Sending moves the item to Sent Items; without ImmutableId its REST id changes.
    box.messages.delete(m.id);
    m.id = request && immutable(request) ? m.id : `AAMkAD${randomBytes(30).toString('base64url')}=`;
    m.parentFolderId = 'sentitems';
    m.isDraft = false;
    m.sentDateTime = new Date().toISOString();
    m.changeKey = randomBytes(12).toString('base64url');
    box.messages.set(m.id, m);
    await state.notify(box, m, 'created');
  };

  graph.post(
    '/users/:user/messages',
    async (request: FastifyRequest<{ Params: { user: string }; Body: Record<string, unknown> }>, reply) => {
      const box = state.findMailbox(request.params.user);
      if (!box)
        return graphError(
          reply,
          404,
          'ErrorInvalidUser',
          `The requested user '${request.params.user}' is invalid.`,
        );
      const invalid = validateMessage(request.body);
      if (invalid) return graphError(reply, 400, 'ErrorInvalidProperty', invalid);
      const m = createMessage(box, request.body, 'drafts', true);
      await state.notify(box, m, 'created');
      return reply.code(201).send(view(m, request));
    },
  );

  const list = async (
    request: FastifyRequest<{
      Params: { user: string; folder?: string };
      Querystring: Record<string, string>;
    }>,
    reply: FastifyReply,
  ) => {
    const box = state.findMailbox(request.params.user);
    if (!box)
      return graphError(
        reply,
        404,
        'ErrorInvalidUser',
        `The requested user '${request.params.user}' is invalid.`,
      );
    const folder = request.params.folder?.toLowerCase();
    const filter = request.query.$filter;
    let items = filter
      ? []
      : [...box.messages.values()].filter((m) => !folder || m.parentFolderId === folder);
    if (filter) {
      const ep = EP_FILTER.exec(filter);
      if (!ep)
        return graphError(
          reply,
          400,
          'ErrorInvalidUrlQueryFilter',
          'The query filter contains one or more invalid nodes.',
        );
      const [, , id, value] = ep;
      // Indexed by value (a mailbox in the sandbox bench holds thousands of drafts).
      const candidates = [...(box.byPropertyValue.get(value!.replace(/''/g, "'")) ?? [])].filter(
        (m) => box.messages.get(m.id) === m,
      );
      items = candidates.filter(
        (m) =>
          (!folder || m.parentFolderId === folder) &&
          m.singleValueExtendedProperties.some(
            (p) => p.id.toLowerCase() === id!.replace(/''/g, "'").toLowerCase(),
          ),
      );
    }
    const expand = /singleValueExtendedProperties/i.test(request.query.$expand ?? '');
    return reply.send({
      '@odata.context': `${state.origin}/v1.0/$metadata#users('${box.upn}')/messages`,
      value: items.map((m) => view(m, request, expand)),
    });
  };
  graph.get('/users/:user/messages', list);
  graph.get('/users/:user/mailFolders/:folder/messages', list);

  graph.get(
    '/users/:user/mailFolders/:folder/messages/delta',
    async (
      request: FastifyRequest<{
        Params: { user: string; folder: string };
        Querystring: Record<string, string>;
      }>,
      reply,
    ) => {
      const box = state.findMailbox(request.params.user);
      if (!box) return graphError(reply, 404, 'ErrorInvalidUser', 'The requested user is invalid.');
      const folder = request.params.folder.toLowerCase();
      const since = Number(
        request.query.$deltatoken ? Buffer.from(request.query.$deltatoken, 'base64url').toString() : 0,
      );
      const skip = Number(
        request.query.$skiptoken ? Buffer.from(request.query.$skiptoken, 'base64url').toString() : 0,
      );
      const changed = [...box.messages.values()]
        .filter((m) => m.parentFolderId === folder && Date.parse(m.lastModifiedDateTime) >= since)
        .sort((a, b) => a.createdDateTime.localeCompare(b.createdDateTime));
      const page = changed.slice(skip, skip + PAGE_SIZE);
      const base = `${state.origin}/v1.0/users/${request.params.user}/mailFolders/${request.params.folder}/messages/delta`;
      const more = skip + PAGE_SIZE < changed.length;
      return reply.send({
        '@odata.context': `${state.origin}/v1.0/$metadata#Collection(message)`,
        value: page.map((m) => view(m, request)),
        ...(more
          ? {
              '@odata.nextLink': `${base}?$skiptoken=${Buffer.from(String(skip + PAGE_SIZE)).toString('base64url')}${request.query.$deltatoken ? `&$deltatoken=${request.query.$deltatoken}` : ''}`,
            }
          : {
              '@odata.deltaLink': `${base}?$deltatoken=${Buffer.from(String(Date.now())).toString('base64url')}`,
            }),
      });
    },
  );

  graph.get(
    '/users/:user/messages/:id',
    async (
      request: FastifyRequest<{ Params: { user: string; id: string }; Querystring: Record<string, string> }>,
      reply,
    ) => {
      const box = state.findMailbox(request.params.user);
      const m = box && messageOf(box, request.params.id);
      if (!box || !m)
        return graphError(
          reply,
          404,
          'ErrorItemNotFound',
          'The specified object was not found in the store.',
        );
      return reply.send(view(m, request, /singleValueExtendedProperties/i.test(request.query.$expand ?? '')));
    },
  );

  graph.post(
    '/users/:user/messages/:id/send',
    async (request: FastifyRequest<{ Params: { user: string; id: string } }>, reply) => {
      const box = state.findMailbox(request.params.user);
      const m = box && messageOf(box, request.params.id);
      if (!box || !m)
        return graphError(
          reply,
          404,
          'ErrorItemNotFound',
          'The specified object was not found in the store.',
        );
      if (!m.isDraft)
        return graphError(reply, 400, 'ErrorInvalidOperation', 'Only draft messages can be sent.');
      await sendMove(box, m, request);
      return reply.code(202).send();
    },
  );

  graph.delete(
    '/users/:user/messages/:id',
    async (request: FastifyRequest<{ Params: { user: string; id: string } }>, reply) => {
      const box = state.findMailbox(request.params.user);
      const m = box && messageOf(box, request.params.id);
      if (!box || !m)
        return graphError(
          reply,
          404,
          'ErrorItemNotFound',
          'The specified object was not found in the store.',
        );
      box.messages.delete(m.id);
      await state.notify(box, m, 'deleted');
      return reply.code(204).send();
    },
  );

  graph.post(
    '/users/:user/sendMail',
    async (
      request: FastifyRequest<{
        Params: { user: string };
        Body: { message?: Record<string, unknown>; saveToSentItems?: boolean };
      }>,
      reply,
    ) => {
      const box = state.findMailbox(request.params.user);
      if (!box)
        return graphError(
          reply,
          404,
          'ErrorInvalidUser',
          `The requested user '${request.params.user}' is invalid.`,
        );
      const invalid = validateMessage(request.body?.message);
      if (invalid) return graphError(reply, 400, 'ErrorInvalidProperty', invalid);
      if (!((request.body?.message?.toRecipients as unknown[]) ?? []).length)
        return graphError(reply, 400, 'ErrorInvalidRecipients', 'At least one recipient is not valid.');
      const m = createMessage(box, request.body!.message!, 'sentitems', false);
      if (request.body?.saveToSentItems === false) box.messages.delete(m.id);
      else await state.notify(box, m, 'created');
      return reply.code(202).send();
    },
  );
}
