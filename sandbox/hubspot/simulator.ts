import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  applyTransportFault,
  CallCounter,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../support.ts';

/**
 * A local HubSpot that the real @hubspot/api-client talks to unchanged: CRM v3 and date-based
 * (`/crm/objects/2026-03/...`) contact paths returning only the requested properties (plus the three
 * HubSpot always adds), owners, notes with associations, property definitions, HubSpot's error
 * bodies and X-HubSpot-RateLimit-* headers. Faults on demand.
 *
 * With a rate limit (e.g. 190 per 10 s, a private app on the higher tier) it enforces HubSpot's
 * rolling ten-second window: past it every call gets 429 with HubSpot's documented body (errorType
 * RATE_LIMIT, policyName TEN_SECONDLY_ROLLING) and X-HubSpot-RateLimit-Remaining 0; every answer
 * carries the real Max, Remaining and Interval-Milliseconds.
 */
export interface SimContact {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
}
export interface SimOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  userId: number;
}
export interface SimNote {
  id: string;
  properties: Record<string, string>;
  associations: { to: { id: string }; types: { associationCategory: string; associationTypeId: number }[] }[];
}

export interface HubSpotSimulator {
  url: string;
  contacts: Map<string, SimContact>;
  owners: Map<string, SimOwner>;
  notes: SimNote[];
  /** Meeting engagements (crm/v3/objects/meetings), associated with contacts (type 200). */
  meetings: SimNote[];
  propertyDefinitions: Map<string, Record<string, unknown>>;
  requests: RecordedRequest[];
  /** Calls per endpoint ("POST /crm/v3/objects/notes/batch/create"), for the bench. */
  calls(): Record<string, number>;
  /** Enforces a rolling request window from now on (undefined: none, the default). */
  setRateLimit(limit: { max: number; intervalMs: number } | undefined): void;
  /** Calls answered and calls refused with 429 by the rate limit since it was set. */
  rateLimitStats(): { calls: number; throttled: number };
  seedContact(input: { id?: string; properties: Record<string, string | null> }): SimContact;
  seedOwner(input: { id?: string; email: string; firstName: string; lastName: string }): SimOwner;
  inject(fault: Fault): void;
  /** Drops every injected fault not yet used up (tests: no fault outlives its case). */
  clearFaults(): void;
  close(): Promise<void>;
}

const DATE_BASED = '/crm/objects/2026-03';
const ALWAYS_RETURNED = ['createdate', 'hs_object_id', 'lastmodifieddate'];

function error(
  reply: FastifyReply,
  status: number,
  category: string,
  message: string,
  extra: Record<string, unknown> = {},
) {
  return reply
    .code(status)
    .type('application/json;charset=utf-8')
    .send({ status: 'error', message, correlationId: randomUUID(), category, ...extra });
}

interface NoteInput {
  properties?: Record<string, string>;
  associations?: SimNote['associations'];
}

const BATCH_LIMIT = 100;

function batchInputs<T>(inputs: T[] | undefined): T[] | string {
  if (!Array.isArray(inputs) || inputs.length === 0) return 'Invalid input JSON: inputs is required';
  if (inputs.length > BATCH_LIMIT)
    return `Batch input must be at most ${BATCH_LIMIT} inputs, got ${inputs.length}`;
  return inputs;
}

/** One entry of a batch answer's `errors` (HubSpot's StandardError). */
function batchError(category: string, message: string, context: Record<string, string[]>) {
  return { status: 'error', category, message, context, errors: [], links: {} };
}

function batchAnswer(
  reply: FastifyReply,
  status: 200 | 201 | 207,
  results: object[],
  errors: object[],
  startedAt: string,
) {
  const body = {
    status: 'COMPLETE',
    // HubSpot does not promise input order; answering in reverse keeps clients honest.
    results: [...results].reverse(),
    ...(errors.length ? { numErrors: errors.length, errors } : {}),
    startedAt,
    completedAt: new Date().toISOString(),
  };
  return reply.code(status).type('application/json;charset=utf-8').send(body);
}

function propertyMissing(name: string): string {
  return `Property values were not valid: [{"isValid":false,"message":"Property \\"${name}\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"${name}"}]`;
}

/** HubSpot's 429 body for the rolling ten-second limit, as its API usage guidelines document it. */
function rateLimited(reply: FastifyReply, policyName: string) {
  const message =
    policyName === 'DAILY'
      ? 'You have reached your daily limit.'
      : 'You have reached your ten_secondly_rolling limit.';
  return reply.code(429).type('application/json;charset=utf-8').send({
    status: 'error',
    message,
    errorType: 'RATE_LIMIT',
    correlationId: randomUUID(),
    policyName,
    requestId: randomUUID(),
  });
}

/** Calls within the rolling interval (timestamps, oldest first). */
class RollingWindow {
  readonly stats = { calls: 0, throttled: 0 };
  private readonly stamps: number[] = [];
  readonly limit: { max: number; intervalMs: number };
  constructor(limit: { max: number; intervalMs: number }) {
    this.limit = limit;
  }
  /** Remaining after this call, or -1 when refused. */
  take(now = Date.now()): number {
    while (this.stamps.length > 0 && now - this.stamps[0]! >= this.limit.intervalMs) this.stamps.shift();
    if (this.stamps.length >= this.limit.max) {
      this.stats.throttled++;
      return -1;
    }
    this.stats.calls++;
    this.stamps.push(now);
    return this.limit.max - this.stamps.length;
  }
}

function requestedProperties(query: Record<string, unknown>): string[] {
  const raw = query.properties;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list
    .flatMap((p) => String(p).split(','))
    .map((p) => p.trim())
    .filter(Boolean);
}

export async function startHubSpotSimulator(
  options: {
    port?: number;
    host?: string;
    accessToken?: string;
    rateLimit?: { max: number; intervalMs: number };
  } = {},
): Promise<HubSpotSimulator> {
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  const contacts = new Map<string, SimContact>();
  const owners = new Map<string, SimOwner>();
  const notes: SimNote[] = [];
  const meetings: SimNote[] = [];
  const propertyDefinitions = new Map<string, Record<string, unknown>>();
  const faults = new FaultInjector();
  let nextId = 1000;
  // First, so that requests answered early (401, faults) are counted too.
  const counter = new CallCounter();
  counter.attach(app);
  let window = options.rateLimit ? new RollingWindow(options.rateLimit) : undefined;

  app.addHook('onRequest', async (request, reply) => {
    faults.record(request);
    reply.header('x-hubspot-ratelimit-interval-milliseconds', '10000');
    reply.header('x-hubspot-ratelimit-max', '190');
    reply.header('x-hubspot-ratelimit-remaining', '189');
    reply.header('x-hubspot-ratelimit-daily', '1000000');
    reply.header('x-hubspot-ratelimit-daily-remaining', '999999');
    if (options.accessToken && request.headers.authorization !== `Bearer ${options.accessToken}`) {
      return error(reply, 401, 'INVALID_AUTHENTICATION', 'Authentication credentials not found.');
    }
    if (window) {
      const remaining = window.take();
      reply.header('x-hubspot-ratelimit-interval-milliseconds', String(window.limit.intervalMs));
      reply.header('x-hubspot-ratelimit-max', String(window.limit.max));
      reply.header('x-hubspot-ratelimit-remaining', String(Math.max(0, remaining)));
      if (remaining < 0) return rateLimited(reply, 'TEN_SECONDLY_ROLLING');
    }
    const fault = faults.take(request);
    if (!fault) return;
    if (await applyTransportFault(fault, reply, '{"id": "1", "properties": {')) return reply;
    if (fault.status === 429) {
      reply.header('x-hubspot-ratelimit-remaining', '0');
      if (fault.retryAfterSeconds !== undefined) reply.header('retry-after', String(fault.retryAfterSeconds));
      return rateLimited(reply, fault.policyName ?? 'TEN_SECONDLY_ROLLING');
    }
    if (fault.status) return error(reply, fault.status, 'INTERNAL_ERROR', 'internal error');
  });

  app.addHook('preHandler', async (request) => recordBody(request));

  const contactView = (c: SimContact, asked: string[]) => {
    const wanted =
      asked.length > 0
        ? [...new Set([...asked, ...ALWAYS_RETURNED])]
        : ['firstname', 'lastname', 'email', ...ALWAYS_RETURNED];
    const properties: Record<string, string | null> = {};
    for (const p of wanted)
      if (p in c.properties || ALWAYS_RETURNED.includes(p)) properties[p] = c.properties[p] ?? null;
    return { id: c.id, properties, createdAt: c.createdAt, updatedAt: c.updatedAt, archived: false };
  };

  const getContact = async (
    request: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>,
    reply: FastifyReply,
  ) => {
    const c = contacts.get(request.params.id);
    if (!c) return error(reply, 404, 'OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.');
    return reply
      .type('application/json;charset=utf-8')
      .send(contactView(c, requestedProperties(request.query)));
  };
  const patchContact = async (
    request: FastifyRequest<{ Params: { id: string }; Body: { properties?: Record<string, string> } }>,
    reply: FastifyReply,
  ) => {
    const c = contacts.get(request.params.id);
    if (!c) return error(reply, 404, 'OBJECT_NOT_FOUND', 'Object not found.');
    const props = request.body?.properties;
    if (!props || typeof props !== 'object')
      return error(reply, 400, 'VALIDATION_ERROR', 'Invalid input JSON: properties is required');
    for (const name of Object.keys(props)) {
      if (!propertyDefinitions.has(name) && !(name in c.properties))
        return error(reply, 400, 'VALIDATION_ERROR', propertyMissing(name));
    }
    return reply.type('application/json;charset=utf-8').send(updateContact(c, props));
  };
  const updateContact = (c: SimContact, props: Record<string, string>) => {
    Object.assign(c.properties, props);
    c.updatedAt = new Date().toISOString();
    c.properties.lastmodifieddate = c.updatedAt;
    return contactView(c, Object.keys(props));
  };
  const createNote = (input: NoteInput) => {
    const now = new Date().toISOString();
    const id = String(++nextId);
    const note: SimNote = {
      id,
      properties: { ...input.properties, hs_createdate: now, hs_lastmodifieddate: now, hs_object_id: id },
      associations: input.associations ?? [],
    };
    notes.push(note);
    return { id, properties: note.properties, createdAt: now, updatedAt: now, archived: false };
  };
  const noteProblem = (input: NoteInput): string | null => {
    if (!input.properties?.hs_timestamp)
      return 'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is required","error":"REQUIRED_PROPERTY","name":"hs_timestamp"}]';
    for (const a of input.associations ?? []) {
      if (!contacts.has(String(a.to?.id))) return `One or more associations are invalid: ${a.to?.id}`;
      if (!a.types?.some((t) => t.associationCategory === 'HUBSPOT_DEFINED' && t.associationTypeId === 202))
        return 'invalid association type for note to contact';
    }
    return null;
  };
  for (const base of ['/crm/v3/objects', DATE_BASED]) {
    app.get(`${base}/contacts/:id`, getContact);
    app.patch(`${base}/contacts/:id`, patchContact);
    app.post(`${base}/notes`, async (request: FastifyRequest<{ Body: NoteInput }>, reply) => {
      const problem = noteProblem(request.body ?? {});
      if (problem) return error(reply, 400, 'VALIDATION_ERROR', problem);
      return reply
        .code(201)
        .type('application/json;charset=utf-8')
        .send(createNote(request.body ?? {}));
    });
    app.post(
      `${base}/notes/batch/create`,
      async (
        request: FastifyRequest<{ Body: { inputs?: (NoteInput & { objectWriteTraceId?: string })[] } }>,
        reply,
      ) => {
        const inputs = batchInputs(request.body?.inputs);
        if (typeof inputs === 'string') return error(reply, 400, 'VALIDATION_ERROR', inputs);
        const startedAt = new Date().toISOString();
        const problems = inputs.map((input) => noteProblem(input));
        const perItem = inputs.every(
          (input) => typeof input.objectWriteTraceId === 'string' && input.objectWriteTraceId !== '',
        );
        const firstProblem = problems.find((p) => p !== null);
        // Without trace ids a batch create is all or nothing.
        if (!perItem && firstProblem) return error(reply, 400, 'VALIDATION_ERROR', firstProblem);
        const results = [];
        const errors = [];
        for (const [i, input] of inputs.entries()) {
          const problem = problems[i];
          if (problem)
            errors.push(
              batchError('VALIDATION_ERROR', problem, { objectWriteTraceId: [input.objectWriteTraceId!] }),
            );
          else
            results.push({
              ...createNote(input),
              ...(input.objectWriteTraceId ? { objectWriteTraceId: input.objectWriteTraceId } : {}),
            });
        }
        return batchAnswer(reply, errors.length ? 207 : 201, results, errors, startedAt);
      },
    );
    app.post(
      `${base}/contacts/batch/read`,
      async (
        request: FastifyRequest<{ Body: { properties?: string[]; inputs?: { id?: string }[] } }>,
        reply,
      ) => {
        const inputs = batchInputs(request.body?.inputs);
        if (typeof inputs === 'string') return error(reply, 400, 'VALIDATION_ERROR', inputs);
        const startedAt = new Date().toISOString();
        const asked = (request.body?.properties ?? []).map(String);
        const missing = inputs.map((input) => String(input.id)).filter((id) => !contacts.has(id));
        const results = [...new Set(inputs.map((input) => String(input.id)))].flatMap((id) =>
          contacts.has(id) ? [contactView(contacts.get(id)!, asked)] : [],
        );
        const errors = missing.length
          ? [
              batchError(
                'OBJECT_NOT_FOUND',
                'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
                { ids: missing },
              ),
            ]
          : [];
        return batchAnswer(reply, errors.length ? 207 : 200, results, errors, startedAt);
      },
    );
    app.post(
      `${base}/contacts/batch/update`,
      async (
        request: FastifyRequest<{
          Body: {
            inputs?: { id?: string; properties?: Record<string, string>; objectWriteTraceId?: string }[];
          };
        }>,
        reply,
      ) => {
        const inputs = batchInputs(request.body?.inputs);
        if (typeof inputs === 'string') return error(reply, 400, 'VALIDATION_ERROR', inputs);
        const startedAt = new Date().toISOString();
        // Invalid property values and repeated ids fail the whole batch (nothing is written); unknown ids fail per item.
        const ids = inputs.map((input) => String(input.id));
        const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
        if (repeated.length)
          return error(
            reply,
            400,
            'VALIDATION_ERROR',
            `Duplicate IDs found in batch input: [${[...new Set(repeated)].join(', ')}]. IDs must be unique`,
          );
        for (const input of inputs) {
          if (!input.properties || typeof input.properties !== 'object')
            return error(reply, 400, 'VALIDATION_ERROR', 'Invalid input JSON: properties is required');
          const c = contacts.get(String(input.id));
          const invalid = Object.keys(input.properties).find(
            (name) => !propertyDefinitions.has(name) && !(c && name in c.properties),
          );
          if (invalid) return error(reply, 400, 'VALIDATION_ERROR', propertyMissing(invalid));
        }
        const results = [];
        const errors = [];
        for (const input of inputs) {
          const c = contacts.get(String(input.id));
          if (!c) {
            errors.push(
              batchError(
                'OBJECT_NOT_FOUND',
                'Could not update some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
                {
                  ids: [String(input.id)],
                  ...(input.objectWriteTraceId ? { objectWriteTraceId: [input.objectWriteTraceId] } : {}),
                },
              ),
            );
            continue;
          }
          results.push({
            ...updateContact(c, input.properties!),
            ...(input.objectWriteTraceId ? { objectWriteTraceId: input.objectWriteTraceId } : {}),
          });
        }
        return batchAnswer(reply, errors.length ? 207 : 200, results, errors, startedAt);
      },
    );
  }

  app.post(
    '/crm/v3/objects/meetings',
    async (
      request: FastifyRequest<{
        Body: { properties?: Record<string, string>; associations?: SimNote['associations'] };
      }>,
      reply,
    ) => {
      const props = request.body?.properties ?? {};
      if (!props.hs_timestamp)
        return error(
          reply,
          400,
          'VALIDATION_ERROR',
          'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is required","error":"REQUIRED_PROPERTY","name":"hs_timestamp"}]',
        );
      for (const a of request.body?.associations ?? []) {
        if (!contacts.has(String(a.to?.id)))
          return error(reply, 400, 'VALIDATION_ERROR', `One or more associations are invalid: ${a.to?.id}`);
        if (!a.types?.some((t) => t.associationCategory === 'HUBSPOT_DEFINED' && t.associationTypeId === 200))
          return error(reply, 400, 'VALIDATION_ERROR', 'invalid association type for meeting to contact');
      }
      const now = new Date().toISOString();
      const id = String(++nextId);
      const meeting: SimNote = {
        id,
        properties: { ...props, hs_createdate: now, hs_lastmodifieddate: now, hs_object_id: id },
        associations: request.body?.associations ?? [],
      };
      meetings.push(meeting);
      return reply
        .code(201)
        .type('application/json;charset=utf-8')
        .send({ id, properties: meeting.properties, createdAt: now, updatedAt: now, archived: false });
    },
  );

  // GET /crm/v3/owners/?limit=&after= (what `draftbridge doctor` reads one owner with; the SDK adds the slash).
  app.get(
    '/crm/v3/owners/',
    async (request: FastifyRequest<{ Querystring: { limit?: string; after?: string } }>, reply) => {
      const limit = Math.min(500, Math.max(1, Number(request.query.limit ?? 100) || 100));
      const all = [...owners.values()];
      const start = Number(request.query.after ?? 0) || 0;
      const now = new Date().toISOString();
      const results = all.slice(start, start + limit).map((o) => ({
        id: o.id,
        email: o.email,
        type: 'PERSON',
        firstName: o.firstName,
        lastName: o.lastName,
        userId: o.userId,
        userIdIncludingInactive: o.userId,
        createdAt: now,
        updatedAt: now,
        archived: false,
      }));
      const next =
        start + limit < all.length
          ? { paging: { next: { after: String(start + limit), link: `?after=${start + limit}` } } }
          : {};
      return reply.type('application/json;charset=utf-8').send({ results, ...next });
    },
  );

  app.get('/crm/v3/owners/:id', async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
    const o = owners.get(request.params.id);
    if (!o) return error(reply, 404, 'OBJECT_NOT_FOUND', 'Owner not found');
    const now = new Date().toISOString();
    return reply.type('application/json;charset=utf-8').send({
      id: o.id,
      email: o.email,
      type: 'PERSON',
      firstName: o.firstName,
      lastName: o.lastName,
      userId: o.userId,
      userIdIncludingInactive: o.userId,
      createdAt: now,
      updatedAt: now,
      archived: false,
      teams: [],
    });
  });

  app.post(
    '/crm/v3/properties/contacts/groups',
    async (request: FastifyRequest<{ Body: { name?: string; label?: string } }>, reply) => {
      const name = request.body?.name;
      if (!name) return error(reply, 400, 'VALIDATION_ERROR', 'name is required');
      if (propertyDefinitions.has(`group:${name}`))
        return error(reply, 409, 'OBJECT_ALREADY_EXISTS', `Group named '${name}' already exists.`);
      propertyDefinitions.set(`group:${name}`, {
        name,
        label: request.body?.label ?? name,
        displayOrder: -1,
        archived: false,
      });
      return reply
        .code(201)
        .type('application/json;charset=utf-8')
        .send(propertyDefinitions.get(`group:${name}`));
    },
  );
  app.post(
    '/crm/v3/properties/contacts',
    async (request: FastifyRequest<{ Body: Record<string, unknown> }>, reply) => {
      const body = request.body ?? {};
      for (const field of ['name', 'label', 'type', 'fieldType', 'groupName']) {
        if (!body[field])
          return error(reply, 400, 'VALIDATION_ERROR', `Invalid input JSON on line 1: ${field} is required`);
      }
      const name = String(body.name);
      if (propertyDefinitions.has(name))
        return error(reply, 409, 'OBJECT_ALREADY_EXISTS', `Property named '${name}' already exists.`);
      const now = new Date().toISOString();
      const def = {
        ...body,
        createdAt: now,
        updatedAt: now,
        archived: false,
        calculated: false,
        externalOptions: false,
        hasUniqueValue: false,
        hidden: false,
        modificationMetadata: { archivable: true, readOnlyDefinition: false, readOnlyValue: false },
        formField: true,
        options: body.options ?? [],
      };
      propertyDefinitions.set(name, def);
      return reply.code(201).type('application/json;charset=utf-8').send(def);
    },
  );
  app.get(
    '/crm/v3/properties/contacts/:name',
    async (request: FastifyRequest<{ Params: { name: string } }>, reply) => {
      const def = propertyDefinitions.get(request.params.name);
      if (!def)
        return error(reply, 404, 'OBJECT_NOT_FOUND', `Unable to find property ${request.params.name}`);
      return reply.type('application/json;charset=utf-8').send(def);
    },
  );

  app.setNotFoundHandler((request, reply) =>
    error(reply, 404, 'OBJECT_NOT_FOUND', `No route for ${request.method} ${request.url.split('?')[0]}`),
  );

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return {
    url: address,
    contacts,
    owners,
    notes,
    meetings,
    propertyDefinitions,
    requests: faults.requests,
    calls: () => counter.snapshot(),
    setRateLimit(limit) {
      window = limit ? new RollingWindow(limit) : undefined;
    },
    rateLimitStats: () => window?.stats ?? { calls: 0, throttled: 0 },
    seedContact(input) {
      const id = input.id ?? String(++nextId);
      const now = new Date().toISOString();
      const c: SimContact = {
        id,
        properties: { ...input.properties, hs_object_id: id, createdate: now, lastmodifieddate: now },
        createdAt: now,
        updatedAt: now,
      };
      contacts.set(id, c);
      return c;
    },
    seedOwner(input) {
      const id = input.id ?? String(++nextId);
      const o: SimOwner = {
        id,
        email: input.email,
        firstName: input.firstName,
        lastName: input.lastName,
        userId: Number(id) + 7_000_000,
      };
      owners.set(id, o);
      return o;
    },
    inject: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    close: () => app.close(),
  };
}
