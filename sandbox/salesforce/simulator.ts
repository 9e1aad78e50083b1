import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import {
  applyTransportFault,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../support.ts';
import { JWT_BEARER_GRANT } from '../../connectors/salesforce/auth.ts';
import {
  METADATA_NS,
  OUTBOUND_NS,
  parseSoapBody,
  parseSoapHeader,
  SOAP_ENV,
  SOBJECT_NS,
  soapFault,
  SoapParseError,
  xmlEscape,
} from '../../connectors/salesforce/soap.ts';

/**
 * A local Salesforce org that jsforce talks to unchanged: the OAuth token endpoint (client
 * credentials, and the JWT bearer flow with the assertion's signature checked against the Connected
 * App's certificate), the REST query resource for `SELECT <fields> FROM Contact|Lead|User|Account
 * WHERE Id = '<id>'`, sObject retrieve/create/update, the Metadata API's readMetadata/upsertMetadata
 * over SOAP (what `draftbridge salesforce setup` uses), Salesforce's error arrays, the
 * Sforce-Limit-Info header and REQUEST_LIMIT_EXCEEDED on demand. It also sends Outbound Messages
 * (the SOAP `notifications` call a Flow makes) and keeps them for redelivery.
 */
export type SfRecord = Record<string, unknown> & { Id: string };

export interface SfCustomField {
  fullName: string;
  label: string;
  type: string;
  [key: string]: unknown;
}

export interface SentOutboundMessage {
  notificationIds: string[];
  objectType: 'Contact' | 'Lead';
  recordIds: string[];
  body: string;
  url: string;
}

export interface SalesforceSimulator {
  url: string;
  orgId: string;
  clientId: string;
  clientSecret: string;
  /** Records by sObject type, keyed by 18-character id. */
  records: Record<'Contact' | 'Lead' | 'User' | 'Account' | 'Task' | 'Event', Map<string, SfRecord>>;
  customFields: Map<string, SfCustomField>;
  requests: RecordedRequest[];
  apiUsage: { used: number; limit: number };
  /** JWT bearer flow: the integration user and the certificate uploaded to the Connected App. */
  allowJwt(input: { username: string; certificatePem: string }): void;
  seed(
    type: 'Contact' | 'Lead' | 'User' | 'Account',
    fields: Record<string, unknown> & { Id?: string },
  ): SfRecord;
  /** Every issued session becomes invalid (401 INVALID_SESSION_ID on the next call). */
  expireSessions(): void;
  inject(fault: Fault): void;
  /** Sends one Outbound Message with a notification per record and the chosen fields, like a Flow's action. */
  sendOutboundMessage(input: {
    url: string;
    objectType: 'Contact' | 'Lead';
    ids: string[];
    fields: string[];
    orgId?: string;
  }): Promise<{ status: number; acked: boolean; notificationIds: string[] }>;
  /** Sends a message again with the same notification ids (what Salesforce does until it gets an Ack). */
  redeliver(message: SentOutboundMessage): Promise<{ status: number; acked: boolean }>;
  outbound: SentOutboundMessage[];
  close(): Promise<void>;
}

const KEY_PREFIX = {
  Contact: '003',
  Lead: '00Q',
  User: '005',
  Account: '001',
  Task: '00T',
  Event: '00U',
  Organization: '00D',
  Notification: '04l',
  Action: '04k',
} as const;

/** Salesforce's case-safe 18-character form: three suffix characters encode the upper-case positions. */
export function to18(id15: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) if (/[A-Z]/.test(id15[chunk * 5 + i]!)) bits |= 1 << i;
    suffix += alphabet[bits];
  }
  return id15 + suffix;
}

export function newSalesforceId(type: keyof typeof KEY_PREFIX): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(9);
  return to18(
    `${KEY_PREFIX[type]}${'000'}${[...bytes].map((b) => chars[b % chars.length]).join('')}`.slice(0, 15),
  );
}

const STANDARD_FIELDS: Record<string, Record<string, string>> = {
  Contact: {
    Id: 'id',
    FirstName: 'string',
    LastName: 'string',
    Email: 'email',
    Salutation: 'picklist',
    Title: 'string',
    Phone: 'phone',
    MobilePhone: 'phone',
    OwnerId: 'reference',
    Description: 'textarea',
    AccountId: 'reference',
    CreatedDate: 'datetime',
    LastModifiedDate: 'datetime',
  },
  Lead: {
    Id: 'id',
    FirstName: 'string',
    LastName: 'string',
    Email: 'email',
    Salutation: 'picklist',
    Title: 'string',
    Phone: 'phone',
    MobilePhone: 'phone',
    OwnerId: 'reference',
    Description: 'textarea',
    Company: 'string',
    Status: 'picklist',
    CreatedDate: 'datetime',
    LastModifiedDate: 'datetime',
  },
  User: {
    Id: 'id',
    Email: 'email',
    FirstName: 'string',
    LastName: 'string',
    Username: 'string',
    IsActive: 'boolean',
  },
  Account: { Id: 'id', Name: 'string' },
  Task: {
    Id: 'id',
    WhoId: 'reference',
    WhatId: 'reference',
    Subject: 'string',
    Description: 'textarea',
    Status: 'picklist',
    Priority: 'picklist',
    ActivityDate: 'date',
    OwnerId: 'reference',
    CreatedDate: 'datetime',
  },
  Event: {
    Id: 'id',
    WhoId: 'reference',
    WhatId: 'reference',
    Subject: 'combobox',
    Description: 'textarea',
    StartDateTime: 'datetime',
    EndDateTime: 'datetime',
    DurationInMinutes: 'int',
    ActivityDateTime: 'datetime',
    ShowAs: 'picklist',
    Location: 'string',
    OwnerId: 'reference',
    CreatedDate: 'datetime',
  },
};
/** Activities the REST API creates here: a Task (the notes) and an Event (a booked meeting). */
const ACTIVITIES = new Set(['Task', 'Event']);
const RELATIONSHIPS: Record<string, Record<string, { field: string; type: 'Account' | 'User' }>> = {
  Contact: { Account: { field: 'AccountId', type: 'Account' }, Owner: { field: 'OwnerId', type: 'User' } },
  Lead: { Owner: { field: 'OwnerId', type: 'User' } },
};
const SOQL =
  /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)\s+WHERE\s+Id\s*=\s*'((?:[^'\\]|\\.)*)'\s*(?:LIMIT\s+\d+\s*)?$/is;

function sfError(reply: FastifyReply, status: number, errorCode: string, message: string, fields?: string[]) {
  return reply
    .code(status)
    .type('application/json;charset=UTF-8')
    .send([{ message, errorCode, ...(fields ? { fields } : {}) }]);
}

export async function startSalesforceSimulator(
  options: { port?: number; host?: string; apiLimit?: number; orgId?: string } = {},
): Promise<SalesforceSimulator> {
  const app: FastifyInstance = Fastify({ logger: false, forceCloseConnections: true });
  const faults = new FaultInjector();
  const orgId = options.orgId ?? newSalesforceId('Organization');
  const clientId = `3MVG9${randomBytes(24).toString('base64url')}`;
  const clientSecret = randomBytes(32).toString('hex').toUpperCase();
  const records: SalesforceSimulator['records'] = {
    Contact: new Map(),
    Lead: new Map(),
    User: new Map(),
    Account: new Map(),
    Task: new Map(),
    Event: new Map(),
  };
  const customFields = new Map<string, SfCustomField>();
  const sessions = new Set<string>();
  const jwtUsers = new Map<string, KeyObject>();
  const apiUsage = { used: 0, limit: options.apiLimit ?? 15_000 };
  const outbound: SentOutboundMessage[] = [];
  let origin = '';
  let integrationUserId = '';

  const fieldType = (sobject: string, field: string): string | undefined =>
    STANDARD_FIELDS[sobject]?.[field] ?? customFields.get(`${sobject}.${field}`)?.type;
  const find = (sobject: string, id: string): SfRecord | undefined => {
    const map = records[sobject as keyof typeof records];
    if (!map || !/^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(id)) return undefined;
    return map.get(id.length === 15 ? to18(id) : id);
  };
  const attributes = (sobject: string, id: string, version: string) => ({
    type: sobject,
    url: `/services/data/v${version}/sobjects/${sobject}/${id}`,
  });

  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, body === '' ? undefined : JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('JSON_PARSER_ERROR'), { statusCode: 400 }), undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
  app.addContentTypeParser(
    ['text/xml', 'application/soap+xml', 'text/plain'],
    { parseAs: 'string' },
    (_req, body, done) => done(null, body),
  );

  app.addHook('onRequest', async (request, reply) => {
    faults.record(request);
    const isApi = request.url.startsWith('/services/data') || request.url.startsWith('/services/Soap');
    if (isApi) {
      apiUsage.used++;
      reply.header('sforce-limit-info', `api-usage=${apiUsage.used}/${apiUsage.limit}`);
    }
    const fault = faults.take(request);
    if (!fault) return;
    if (await applyTransportFault(fault, reply, '{"totalSize":1,"done":true,"records":[{"attributes":'))
      return reply;
    if (fault.retryAfterSeconds !== undefined) reply.header('retry-after', String(fault.retryAfterSeconds));
    if (fault.status === 403)
      return sfError(reply, 403, 'REQUEST_LIMIT_EXCEEDED', `TotalRequests Limit exceeded.`);
    if (fault.status === 429)
      return sfError(reply, 429, 'REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded.');
    if (fault.status === 503)
      return sfError(reply, 503, 'SERVER_UNAVAILABLE', 'Server unavailable, please try again later.');
    if (fault.status)
      return sfError(
        reply,
        fault.status,
        'UNKNOWN_EXCEPTION',
        'An unexpected error occurred. Please include this ErrorId if you contact support: 1234567890-12345 (-123456789)',
      );
  });
  app.addHook('preHandler', async (request) => recordBody(request));

  // ---------- OAuth ----------
  app.post(
    '/services/oauth2/token',
    async (request: FastifyRequest<{ Body: Record<string, string> | undefined }>, reply) => {
      const p = request.body ?? {};
      const issue = (userId: string) => {
        const token = `${orgId.slice(0, 15)}!${randomBytes(48).toString('base64url')}`;
        sessions.add(token);
        return {
          access_token: token,
          scope: 'api',
          instance_url: origin,
          id: `${origin}/id/${orgId}/${userId}`,
          token_type: 'Bearer',
        };
      };
      if (p.grant_type === 'client_credentials') {
        if (p.client_id !== clientId || p.client_secret !== clientSecret)
          return reply
            .code(400)
            .send({ error: 'invalid_client', error_description: 'invalid client credentials' });
        // The documented client-credentials answer also carries issued_at and signature.
        return reply.send({
          ...issue(integrationUserId),
          issued_at: String(Date.now()),
          signature: randomBytes(32).toString('base64'),
        });
      }
      if (p.grant_type === JWT_BEARER_GRANT) {
        const verdict = checkAssertion(p.assertion ?? '', { clientId, audience: origin, keys: jwtUsers });
        if (!verdict.ok)
          return reply.code(400).send({ error: 'invalid_grant', error_description: verdict.reason });
        const user = [...records.User.values()].find((u) => u.Username === verdict.username);
        return reply.send(issue(user?.Id ?? integrationUserId));
      }
      return reply
        .code(400)
        .send({ error: 'unsupported_grant_type', error_description: 'grant type not supported' });
    },
  );

  // ---------- REST ----------
  app.register(async (api) => {
    api.addHook('onRequest', async (request, reply) => {
      // SOAP calls carry the session in their SessionHeader instead (checked below).
      if (request.url.startsWith('/services/Soap/')) return;
      const auth = request.headers.authorization;
      if (!auth?.startsWith('Bearer ') || !sessions.has(auth.slice(7)))
        return sfError(reply, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
    });

    api.get(
      '/services/data/:version/query',
      async (
        request: FastifyRequest<{ Params: { version: string }; Querystring: { q?: string } }>,
        reply,
      ) => {
        const version = request.params.version.replace(/^v/, '');
        const q = request.query.q ?? '';
        const m = SOQL.exec(q);
        if (!m)
          return sfError(
            reply,
            400,
            'MALFORMED_QUERY',
            "unexpected token: the simulator understands SELECT <fields> FROM <object> WHERE Id = '<id>'",
          );
        const [, list, sobject, rawId] = m as unknown as [string, string, string, string];
        if (!(sobject in STANDARD_FIELDS) || ACTIVITIES.has(sobject))
          return sfError(reply, 400, 'INVALID_TYPE', `sObject type '${sobject}' is not supported.`);
        const fields = list.split(',').map((f) => f.trim());
        for (const f of fields) {
          const [head, tail] = f.split('.');
          const rel = tail ? RELATIONSHIPS[sobject]?.[head!] : undefined;
          const ok = tail
            ? rel !== undefined && fieldType(rel.type, tail) !== undefined
            : fieldType(sobject, f) !== undefined;
          if (!ok)
            return sfError(
              reply,
              400,
              'INVALID_FIELD',
              `\nSELECT ${list} FROM ${sobject}\n       ^\nERROR at Row:1:Column:8\nNo such column '${f}' on entity '${sobject}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name.`,
            );
        }
        const id = rawId.replace(/\\(.)/g, '$1');
        const record = find(sobject, id);
        const rows = record
          ? [
              fields.reduce<Record<string, unknown>>(
                (row, f) => {
                  const [head, tail] = f.split('.');
                  if (!tail) row[f] = record[f] ?? null;
                  else {
                    const rel = RELATIONSHIPS[sobject]![head!]!;
                    const target = find(rel.type, String(record[rel.field] ?? ''));
                    if (!target) row[head!] = null;
                    else {
                      const nested = (row[head!] as Record<string, unknown> | undefined) ?? {
                        attributes: attributes(rel.type, target.Id, version),
                      };
                      nested[tail] = target[tail] ?? null;
                      row[head!] = nested;
                    }
                  }
                  return row;
                },
                { attributes: attributes(sobject, record.Id, version) },
              ),
            ]
          : [];
        return reply
          .type('application/json;charset=UTF-8')
          .send({ totalSize: rows.length, done: true, records: rows });
      },
    );

    api.get(
      '/services/data/:version/sobjects/:type/:id',
      async (
        request: FastifyRequest<{
          Params: { version: string; type: string; id: string };
          Querystring: { fields?: string };
        }>,
        reply,
      ) => {
        const { type, id, version } = request.params;
        const record = find(type, id);
        if (!record) return sfError(reply, 404, 'NOT_FOUND', 'The requested resource does not exist');
        const fields = request.query.fields ? request.query.fields.split(',') : Object.keys(record);
        const out: Record<string, unknown> = {
          attributes: attributes(type, record.Id, version.replace(/^v/, '')),
        };
        for (const f of fields) out[f] = record[f] ?? null;
        return reply.type('application/json;charset=UTF-8').send(out);
      },
    );

    api.patch(
      '/services/data/:version/sobjects/:type/:id',
      async (
        request: FastifyRequest<{
          Params: { type: string; id: string };
          Body: Record<string, unknown> | undefined;
        }>,
        reply,
      ) => {
        const { type, id } = request.params;
        const record = find(type, id);
        if (!record) return sfError(reply, 404, 'NOT_FOUND', 'The requested resource does not exist');
        const changes = coerce(type, request.body ?? {}, fieldType);
        if ('error' in changes)
          return sfError(reply, 400, changes.error.code, changes.error.message, changes.error.fields);
        Object.assign(record, changes.values, {
          LastModifiedDate: new Date().toISOString().replace('Z', '+0000'),
        });
        return reply.code(204).send();
      },
    );

    api.post(
      '/services/data/:version/sobjects/:type',
      async (
        request: FastifyRequest<{ Params: { type: string }; Body: Record<string, unknown> | undefined }>,
        reply,
      ) => {
        const { type } = request.params;
        if (type !== 'Task' && type !== 'Event')
          return sfError(
            reply,
            400,
            'INVALID_TYPE',
            `The simulator creates Task and Event records only, not ${type}`,
          );
        const changes = coerce(type, request.body ?? {}, fieldType);
        if ('error' in changes)
          return sfError(reply, 400, changes.error.code, changes.error.message, changes.error.fields);
        const whoId = String(changes.values.WhoId ?? '');
        if (!find('Contact', whoId) && !find('Lead', whoId))
          return sfError(reply, 400, 'FIELD_INTEGRITY_EXCEPTION', 'Name ID: id value of incorrect type', [
            'WhoId',
          ]);
        if (type === 'Event') {
          const problem = eventProblem(changes.values);
          if (problem) return sfError(reply, 400, problem.code, problem.message, problem.fields);
        }
        const id = newSalesforceId(type);
        const defaults = type === 'Task' ? { Status: 'Not Started', Priority: 'Normal' } : { ShowAs: 'Busy' };
        records[type].set(id, {
          ...defaults,
          OwnerId: integrationUserId,
          ...changes.values,
          WhoId: whoId.length === 15 ? to18(whoId) : whoId,
          Id: id,
          CreatedDate: new Date().toISOString().replace('Z', '+0000'),
        });
        return reply.code(201).type('application/json;charset=UTF-8').send({ id, success: true, errors: [] });
      },
    );

    // ---------- Metadata API (SOAP) ----------
    api.post('/services/Soap/m/:version', async (request, reply) => {
      let body: Record<string, unknown>;
      try {
        body = parseSoapBody(String(request.body ?? ''));
      } catch (err) {
        return reply
          .code(500)
          .type('text/xml')
          .send(soapFault('soapenv:Client', (err as SoapParseError).message));
      }
      const header = parseSoapHeader(String(request.body ?? ''));
      if (!header || !sessions.has(header))
        return reply
          .code(500)
          .type('text/xml')
          .send(
            soapFault(
              'sf:INVALID_SESSION_ID',
              'INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session',
            ),
          );
      const respond = (name: string, inner: string) =>
        reply
          .type('text/xml;charset=UTF-8')
          .send(
            `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns="${METADATA_NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><${name}>${inner}</${name}></soapenv:Body></soapenv:Envelope>`,
          );
      if (body.readMetadata) {
        const call = body.readMetadata as { type?: string; fullNames?: string[] };
        if (call.type !== 'CustomField')
          return reply
            .code(500)
            .type('text/xml')
            .send(soapFault('sf:INVALID_TYPE', `the simulator reads CustomField only, not ${call.type}`));
        const recordsXml = (call.fullNames ?? [])
          .map((name) => {
            const f = customFields.get(name);
            // An unknown name comes back as an empty record, as the real Metadata API does.
            return f
              ? `<records xsi:type="CustomField">${fieldXml(f)}</records>`
              : '<records xsi:nil="true"/>';
          })
          .join('');
        return respond('readMetadataResponse', `<result>${recordsXml}</result>`);
      }
      if (body.upsertMetadata) {
        const items = ((body.upsertMetadata as { metadata?: Record<string, unknown>[] }).metadata ??
          []) as Record<string, unknown>[];
        if (items.length > 10)
          return reply
            .code(500)
            .type('text/xml')
            .send(
              soapFault(
                'sf:EXCEEDED_ID_LIMIT',
                'record limit reached. cannot submit more than 10 records in a single call',
              ),
            );
        const results = items.map((item) => {
          const f = { ...item } as Record<string, unknown>;
          delete f['@_type'];
          const problem = customFieldProblem(f);
          const fullName = String(f.fullName ?? '');
          if (problem)
            return `<result><errors><message>${xmlEscape(problem)}</message><statusCode>FIELD_INTEGRITY_EXCEPTION</statusCode></errors><fullName>${xmlEscape(fullName)}</fullName><success>false</success></result>`;
          const created = !customFields.has(fullName);
          customFields.set(fullName, f as SfCustomField);
          return `<result><created>${created}</created><fullName>${xmlEscape(fullName)}</fullName><success>true</success></result>`;
        });
        return respond('upsertMetadataResponse', results.join(''));
      }
      return reply
        .code(500)
        .type('text/xml')
        .send(soapFault('sf:INVALID_OPERATION', 'the simulator implements readMetadata and upsertMetadata'));
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sfError(
      reply,
      404,
      'NOT_FOUND',
      `The requested resource does not exist: ${request.method} ${request.url.split('?')[0]}`,
    ),
  );

  const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  origin = address;
  integrationUserId = newSalesforceId('User');
  records.User.set(integrationUserId, {
    Id: integrationUserId,
    Username: 'integration@draftbridge.example.com',
    Email: 'integration@draftbridge.example.com',
    FirstName: 'draftbridge',
    LastName: 'Integration',
    IsActive: true,
  });

  const post = async (url: string, body: string) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    // Salesforce counts a delivery only when the answer is the notificationsResponse with Ack true.
    const acked =
      res.status === 200 && /<(\w+:)?notificationsResponse[^>]*>\s*<(\w+:)?Ack>true<\/(\w+:)?Ack>/.test(text);
    return { status: res.status, acked };
  };

  return {
    url: address,
    orgId,
    clientId,
    clientSecret,
    records,
    customFields,
    requests: faults.requests,
    apiUsage,
    outbound,
    allowJwt({ username, certificatePem }) {
      jwtUsers.set(username, createPublicKey(certificatePem));
    },
    seed(type, fields) {
      const id = fields.Id ?? newSalesforceId(type);
      const now = new Date().toISOString().replace('Z', '+0000');
      const record: SfRecord = {
        ...(type === 'Contact' || type === 'Lead' ? { CreatedDate: now, LastModifiedDate: now } : {}),
        ...fields,
        Id: id,
      };
      records[type].set(id, record);
      return record;
    },
    expireSessions: () => sessions.clear(),
    inject: (fault) => faults.add(fault),
    async sendOutboundMessage(input) {
      const notificationIds = input.ids.map(() => newSalesforceId('Notification'));
      const notifications = input.ids.map((id, i) => {
        const record = find(input.objectType, id);
        const fields = ['Id', ...input.fields.filter((f) => f !== 'Id')];
        const values = fields
          .map((f) => {
            const v = record?.[f];
            return v === undefined || v === null
              ? `<sf:${f} xsi:nil="true"/>`
              : `<sf:${f}>${xmlEscape(String(v))}</sf:${f}>`;
          })
          .join('');
        return `<Notification><Id>${notificationIds[i]}</Id><sObject xsi:type="sf:${input.objectType}" xmlns:sf="${SOBJECT_NS}">${values}</sObject></Notification>`;
      });
      const body =
        '<?xml version="1.0" encoding="UTF-8"?>' +
        `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
        `<soapenv:Body><notifications xmlns="${OUTBOUND_NS}">` +
        `<OrganizationId>${input.orgId ?? orgId}</OrganizationId><ActionId>${newSalesforceId('Action')}</ActionId><SessionId xsi:nil="true"/>` +
        `<EnterpriseUrl>${origin}/services/Soap/c/62.0/${orgId.slice(0, 15)}</EnterpriseUrl><PartnerUrl>${origin}/services/Soap/u/62.0/${orgId.slice(0, 15)}</PartnerUrl>` +
        `${notifications.join('')}</notifications></soapenv:Body></soapenv:Envelope>`;
      const message: SentOutboundMessage = {
        notificationIds,
        objectType: input.objectType,
        recordIds: input.ids,
        body,
        url: input.url,
      };
      outbound.push(message);
      return { ...(await post(input.url, body)), notificationIds };
    },
    redeliver: (message) => post(message.url, message.body),
    close: () => app.close(),
  };
}

function fieldXml(f: SfCustomField): string {
  return Object.entries(f)
    .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
    .join('');
}

/** What the Metadata API insists on for the field types draftbridge creates. */
function customFieldProblem(f: Record<string, unknown>): string | undefined {
  const fullName = String(f.fullName ?? '');
  if (!/^(Contact|Lead)\.[A-Za-z][A-Za-z0-9_]*__c$/.test(fullName))
    return `Cannot create a field with the name ${fullName}`;
  if (!f.label) return 'Required field is missing: label';
  switch (f.type) {
    case 'Checkbox':
      return f.defaultValue === undefined ? 'Checkbox fields require a defaultValue' : undefined;
    case 'Text':
      return Number(f.length) > 0 && Number(f.length) <= 255
        ? undefined
        : 'Text fields require a length from 1 to 255';
    case 'LongTextArea':
      return Number(f.length) > 255 && Number(f.visibleLines) > 0
        ? undefined
        : 'Long text areas require a length above 255 and visibleLines';
    default:
      return `The simulator does not create fields of type ${String(f.type)}`;
  }
}

/** What Salesforce refuses in a new Event: no start, no end or duration, an end before the start. */
function eventProblem(
  values: Record<string, unknown>,
): { code: string; message: string; fields: string[] } | null {
  const start = Date.parse(String(values.StartDateTime ?? values.ActivityDateTime ?? ''));
  if (Number.isNaN(start))
    return {
      code: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [StartDateTime]',
      fields: ['StartDateTime'],
    };
  if (values.EndDateTime === undefined && values.DurationInMinutes === undefined) {
    return {
      code: 'REQUIRED_FIELD_MISSING',
      message: 'Required fields are missing: [DurationInMinutes]',
      fields: ['DurationInMinutes'],
    };
  }
  const end =
    values.EndDateTime === undefined
      ? start + Number(values.DurationInMinutes) * 60_000
      : Date.parse(String(values.EndDateTime));
  if (Number.isNaN(end) || end < start)
    return {
      code: 'FIELD_INTEGRITY_EXCEPTION',
      message: 'End Date Time: End time must be after start time',
      fields: ['EndDateTime'],
    };
  return null;
}

/** JSON values as Salesforce takes them: strings are coerced to the field's type, unknown fields refused. */
function coerce(
  sobject: string,
  body: Record<string, unknown>,
  fieldType: (sobject: string, field: string) => string | undefined,
): { values: Record<string, unknown> } | { error: { code: string; message: string; fields?: string[] } } {
  const values: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) {
    const type = fieldType(sobject, k);
    if (!type)
      return {
        error: { code: 'INVALID_FIELD', message: `No such column '${k}' on sobject of type ${sobject}` },
      };
    if (k === 'Id' || k === 'CreatedDate' || k === 'LastModifiedDate')
      return {
        error: {
          code: 'INVALID_FIELD_FOR_INSERT_UPDATE',
          message: `Unable to create/update fields: ${k}.`,
          fields: [k],
        },
      };
    if (type === 'boolean' || type === 'Checkbox') {
      if (v !== true && v !== false && v !== 'true' && v !== 'false')
        return {
          error: {
            code: 'JSON_PARSER_ERROR',
            message: `Cannot deserialize instance of boolean from VALUE_STRING value ${String(v).slice(0, 20)}`,
          },
        };
      values[k] = v === true || v === 'true';
    } else values[k] = v;
  }
  return { values };
}

/** The JWT bearer checks Salesforce documents: RS256 over the Connected App's certificate, iss, aud, sub, exp. */
function checkAssertion(
  assertion: string,
  o: { clientId: string; audience: string; keys: Map<string, KeyObject> },
): { ok: true; username: string } | { ok: false; reason: string } {
  const parts = assertion.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'invalid assertion' };
  let header: { alg?: string };
  let claims: { iss?: string; sub?: string; aud?: string; exp?: number };
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid assertion' };
  }
  if (header.alg !== 'RS256') return { ok: false, reason: 'invalid assertion: alg must be RS256' };
  const key = claims.sub ? o.keys.get(claims.sub) : undefined;
  if (!key) return { ok: false, reason: "user hasn't approved this consumer" };
  if (!verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), key, Buffer.from(parts[2]!, 'base64url')))
    return { ok: false, reason: 'invalid assertion: signature' };
  if (claims.iss !== o.clientId) return { ok: false, reason: 'invalid client credentials' };
  if (claims.aud !== o.audience) return { ok: false, reason: 'audience is invalid' };
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < Date.now())
    return { ok: false, reason: 'expired authorization code' };
  return { ok: true, username: claims.sub! };
}
