import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { registerEntraRoutes } from '../entra/simulator.ts';
import { generateSimulatorTls, type SimulatorTls } from '../tls.ts';
import {
  applyTransportFault,
  FaultInjector,
  recordBody,
  type Fault,
  type RecordedRequest,
} from '../support.ts';

/**
 * A local Dataverse environment that dynamics-web-api and @azure/identity talk to unchanged, over
 * TLS (MSAL refuses http authorities): the Entra ID token endpoints for the application user, the
 * Web API under /api/data/v9.2/ for contacts, leads, systemusers and annotations ($select, PATCH with
 * If-Match, 204 + OData-EntityId on create or 201 with Prefer: return=representation), the attribute
 * metadata endpoints `draftbridge dynamics setup` uses, `{error:{code,message}}` bodies and the
 * service-protection 429 with Retry-After. It also sends webhook deliveries (a RemoteExecutionContext
 * as a registered step would) with WebhookKey or HttpHeader auth, and keeps them for redelivery.
 */
export type DvEntity = 'contact' | 'lead' | 'systemuser' | 'annotation' | 'account' | 'appointment';
export type DvRecord = Record<string, unknown>;

export interface DvAttribute {
  LogicalName: string;
  SchemaName: string;
  AttributeType: 'Boolean' | 'String' | 'Memo';
  MetadataId: string;
  [key: string]: unknown;
}

export type WebhookAuth =
  { type: 'WebhookKey'; key: string } | { type: 'HttpHeader'; name: string; value: string };

export interface SentWebhook {
  url: string;
  headers: Record<string, string>;
  body: string;
  correlationId: string;
  operationId: string;
}

export interface DataverseSimulator {
  /** The environment URL (DATAVERSE_URL) and the authority host (DATAVERSE_AUTHORITY_HOST): one origin. */
  url: string;
  organizationId: string;
  /** The TLS material it serves with (trust its CA in the client process). */
  tls: SimulatorTls;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  records: Record<DvEntity, Map<string, DvRecord>>;
  /** An appointment's activity parties (deep-inserted with it): who attends, in which role. */
  appointmentParties: Map<
    string,
    { participationtypemask: number; entity: 'contact' | 'lead' | 'systemuser'; id: string }[]
  >;
  /** Custom columns per entity (logical name → metadata), as `draftbridge dynamics setup` creates them. */
  attributes: Record<'contact' | 'lead', Map<string, DvAttribute>>;
  requests: RecordedRequest[];
  seed(
    entity: Exclude<DvEntity, 'annotation' | 'appointment'>,
    fields: DvRecord & { id?: string },
  ): DvRecord & { id: string };
  defineAttribute(entity: 'contact' | 'lead', logicalName: string, type: DvAttribute['AttributeType']): void;
  revokeTokens(): void;
  inject(fault: Fault): void;
  /** What a registered step does after Create/Update of a contact or lead (asynchronous: RequestId null). */
  sendWebhook(input: {
    url: string;
    auth: WebhookAuth;
    message: 'Create' | 'Update';
    entity: 'contact' | 'lead';
    id: string;
    attributes: string[];
  }): Promise<{ status: number; delivery: SentWebhook }>;
  redeliver(delivery: SentWebhook): Promise<{ status: number }>;
  webhooks: SentWebhook[];
  close(): Promise<void>;
}

const COLLECTIONS: Record<string, DvEntity> = {
  contacts: 'contact',
  leads: 'lead',
  systemusers: 'systemuser',
  annotations: 'annotation',
  accounts: 'account',
  appointments: 'appointment',
};
const STANDARD_COLUMNS: Record<DvEntity, Record<string, string>> = {
  contact: {
    contactid: 'Uniqueidentifier',
    firstname: 'String',
    lastname: 'String',
    fullname: 'String',
    emailaddress1: 'String',
    salutation: 'String',
    jobtitle: 'String',
    telephone1: 'String',
    mobilephone: 'String',
    description: 'Memo',
    company: 'String',
    _ownerid_value: 'Lookup',
    _parentcustomerid_value: 'Lookup',
    createdon: 'DateTime',
    modifiedon: 'DateTime',
  },
  lead: {
    leadid: 'Uniqueidentifier',
    firstname: 'String',
    lastname: 'String',
    fullname: 'String',
    emailaddress1: 'String',
    salutation: 'String',
    jobtitle: 'String',
    telephone1: 'String',
    mobilephone: 'String',
    description: 'Memo',
    companyname: 'String',
    subject: 'String',
    _ownerid_value: 'Lookup',
    createdon: 'DateTime',
    modifiedon: 'DateTime',
  },
  systemuser: {
    systemuserid: 'Uniqueidentifier',
    internalemailaddress: 'String',
    firstname: 'String',
    lastname: 'String',
    fullname: 'String',
    domainname: 'String',
  },
  account: { accountid: 'Uniqueidentifier', name: 'String' },
  annotation: {
    annotationid: 'Uniqueidentifier',
    subject: 'String',
    notetext: 'Memo',
    objecttypecode: 'String',
    _objectid_value: 'Lookup',
    createdon: 'DateTime',
  },
  appointment: {
    activityid: 'Uniqueidentifier',
    subject: 'String',
    description: 'Memo',
    scheduledstart: 'DateTime',
    scheduledend: 'DateTime',
    _regardingobjectid_value: 'Lookup',
    _ownerid_value: 'Lookup',
    statecode: 'State',
    createdon: 'DateTime',
  },
};
/** Activity party roles (participationtypemask) an appointment takes. */
const PARTY_ROLES = new Set([5, 6, 7, 9]);
/** Single-valued navigation properties the simulator can $expand. */
const NAVIGATION: Partial<Record<DvEntity, Record<string, { lookup: string; entity: DvEntity }>>> = {
  contact: {
    parentcustomerid_account: { lookup: '_parentcustomerid_value', entity: 'account' },
    owninguser: { lookup: '_ownerid_value', entity: 'systemuser' },
  },
  lead: { owninguser: { lookup: '_ownerid_value', entity: 'systemuser' } },
};
const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
const RECORD_PATH = new RegExp(
  `^(contacts|leads|systemusers|annotations|accounts|appointments)(?:\\((${GUID})\\))?$`,
);
const ATTRIBUTE_PATH =
  /^EntityDefinitions\(LogicalName='(contact|lead)'\)\/Attributes(?:\(LogicalName='([a-z0-9_]+)'\))?$/;
const METADATA_TYPES: Record<string, DvAttribute['AttributeType']> = {
  'Microsoft.Dynamics.CRM.BooleanAttributeMetadata': 'Boolean',
  'Microsoft.Dynamics.CRM.StringAttributeMetadata': 'String',
  'Microsoft.Dynamics.CRM.MemoAttributeMetadata': 'Memo',
};

function dvError(reply: FastifyReply, status: number, code: string, message: string) {
  return reply
    .code(status)
    .type('application/json; odata.metadata=minimal')
    .header('odata-version', '4.0')
    .send({ error: { code, message } });
}

/** .NET's DataContractJsonSerializer date form, as in every RemoteExecutionContext. */
export function dotNetDate(ms: number): string {
  return `/Date(${ms})/`;
}

export async function startDataverseSimulator(
  options: { port?: number; tls?: SimulatorTls; organizationId?: string } = {},
): Promise<DataverseSimulator> {
  const material = options.tls ?? (await generateSimulatorTls());
  const app: FastifyInstance = Fastify({
    logger: false,
    forceCloseConnections: true,
    https: { key: material.keyPem, cert: material.certPem },
  });
  const faults = new FaultInjector();
  const organizationId = options.organizationId ?? randomUUID();
  const records: DataverseSimulator['records'] = {
    contact: new Map(),
    lead: new Map(),
    systemuser: new Map(),
    annotation: new Map(),
    account: new Map(),
    appointment: new Map(),
  };
  const appointmentParties: DataverseSimulator['appointmentParties'] = new Map();
  const attributes: DataverseSimulator['attributes'] = { contact: new Map(), lead: new Map() };
  const webhooks: SentWebhook[] = [];
  let origin = '';
  const entra = registerEntraRoutes(app, { origin: () => origin, resource: () => origin, roles: [] });

  const columnType = (entity: DvEntity, column: string): string | undefined =>
    STANDARD_COLUMNS[entity][column] ??
    (entity === 'contact' || entity === 'lead' ? attributes[entity].get(column)?.AttributeType : undefined);

  app.addHook('onRequest', async (request, reply) => {
    faults.record(request);
    if (!request.url.startsWith('/api/data/')) return;
    const fault = faults.take(request);
    if (fault) {
      if (await applyTransportFault(fault, reply, '{"@odata.context":"')) return reply;
      if (fault.status === 429) {
        reply.header('retry-after', String(fault.retryAfterSeconds ?? 5));
        return dvError(
          reply,
          429,
          '0x80072322',
          'Number of requests exceeded the limit of 6000 over time window of 300 seconds.',
        );
      }
      if (fault.status) return dvError(reply, fault.status, '0x80040216', 'An unexpected error occurred.');
    }
    const auth = request.headers.authorization;
    if (!auth?.startsWith('Bearer ') || !entra.tokens.has(auth.slice(7))) {
      return reply
        .code(401)
        .header(
          'www-authenticate',
          `Bearer authorization_uri=${origin}/${entra.tenantId}/oauth2/authorize, resource_id=${origin}/`,
        )
        .send();
    }
  });
  app.addHook('preHandler', async (request) => recordBody(request));

  app.register(async (api) => {
    api.removeContentTypeParser(['application/json']);
    api.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
      try {
        done(null, body === '' ? undefined : JSON.parse(body as string));
      } catch {
        done(Object.assign(new Error('invalid JSON'), { statusCode: 400 }), undefined);
      }
    });

    api.all(
      '/api/data/v9.2/*',
      async (
        request: FastifyRequest<{ Params: { '*': string }; Querystring: Record<string, string> }>,
        reply,
      ) => {
        const path = decodeURIComponent(request.params['*']);
        const attr = ATTRIBUTE_PATH.exec(path);
        if (attr) return attributeRoute(request, reply, attr[1] as 'contact' | 'lead', attr[2]);
        const m = RECORD_PATH.exec(path);
        if (!m)
          return dvError(
            reply,
            404,
            '0x80060888',
            `Resource not found for the segment '${path.split('/')[0]}'.`,
          );
        const entity = COLLECTIONS[m[1]!]!;
        const id = m[2]?.toLowerCase();
        const set = m[1]!;
        // Activities (appointments) share the activitypointer key.
        const pk = entity === 'appointment' ? 'activityid' : `${entity}id`;

        if (request.method === 'GET' && id) {
          const row = records[entity].get(id);
          if (!row) return dvError(reply, 404, '0x80040217', `${entity} With Id = ${id} Does Not Exist`);
          const select = request.query.$select ? request.query.$select.split(',') : Object.keys(row);
          for (const c of select)
            if (!columnType(entity, c))
              return dvError(
                reply,
                400,
                '0x80060888',
                `Could not find a property named '${c}' on type 'Microsoft.Dynamics.CRM.${entity}'.`,
              );
          const out: DvRecord = {
            '@odata.context': `${origin}/api/data/v9.2/$metadata#${set}(${select.join(',')})/$entity`,
            '@odata.etag': `W/"${String(row.versionnumber ?? 1)}"`,
          };
          for (const c of select) out[c] = row[c] ?? null;
          out[pk] = id;
          // $expand=nav($select=a,b),nav2($select=c)
          for (const [, nav, cols] of String(request.query.$expand ?? '').matchAll(
            /(\w+)\(\$select=([\w,]+)\)/g,
          )) {
            const link = NAVIGATION[entity]?.[nav!];
            if (!link)
              return dvError(
                reply,
                400,
                '0x80060888',
                `Could not find a property named '${nav}' on type 'Microsoft.Dynamics.CRM.${entity}'.`,
              );
            const related = records[link.entity].get(String(row[link.lookup] ?? ''));
            if (!related) out[nav!] = null;
            else {
              const nested: DvRecord = { [`${link.entity}id`]: related[`${link.entity}id`] };
              for (const c of cols!.split(',')) {
                if (!columnType(link.entity, c))
                  return dvError(
                    reply,
                    400,
                    '0x80060888',
                    `Could not find a property named '${c}' on type 'Microsoft.Dynamics.CRM.${link.entity}'.`,
                  );
                nested[c] = related[c] ?? null;
              }
              out[nav!] = nested;
            }
          }
          return reply
            .type('application/json; odata.metadata=minimal')
            .header('odata-version', '4.0')
            .send(out);
        }
        if (request.method === 'PATCH' && id) {
          const row = records[entity].get(id);
          // If-Match: * forbids the upsert a bare PATCH would do.
          if (!row && request.headers['if-match'] === '*')
            return dvError(reply, 404, '0x80040217', `${entity} With Id = ${id} Does Not Exist`);
          const values = checkColumns(entity, (request.body ?? {}) as DvRecord, columnType);
          if ('error' in values) return dvError(reply, 400, '0x80048d19', values.error);
          const target = row ?? { [pk]: id };
          Object.assign(target, values.values, {
            modifiedon: new Date().toISOString(),
            versionnumber: Number(target.versionnumber ?? 1) + 1,
          });
          records[entity].set(id, target);
          return reply.code(204).header('odata-version', '4.0').send();
        }
        if (request.method === 'POST' && !id && entity === 'annotation') {
          const body = (request.body ?? {}) as DvRecord;
          const bindKey = Object.keys(body).find(
            (k) => k.startsWith('objectid_') && k.endsWith('@odata.bind'),
          );
          const bind = bindKey
            ? /^\/?(contacts|leads)\(([0-9a-fA-F-]{36})\)$/.exec(String(body[bindKey]))
            : null;
          const regarding = bind ? records[COLLECTIONS[bind[1]!]!].get(bind[2]!.toLowerCase()) : undefined;
          if (!bind || !regarding || bindKey !== `objectid_${COLLECTIONS[bind[1]!]}@odata.bind`)
            return dvError(
              reply,
              400,
              '0x80048d19',
              'Error identified in Payload provided by the user for Entity :annotations, the objectid binding is missing or names no record.',
            );
          const { [bindKey]: _bound, ...rest } = body;
          const values = checkColumns('annotation', rest, columnType);
          if ('error' in values) return dvError(reply, 400, '0x80048d19', values.error);
          const newId = randomUUID();
          const row = {
            ...values.values,
            annotationid: newId,
            objecttypecode: COLLECTIONS[bind[1]!],
            _objectid_value: bind[2]!.toLowerCase(),
            createdon: new Date().toISOString(),
          };
          records.annotation.set(newId, row);
          reply
            .header('odata-entityid', `${origin}/api/data/v9.2/annotations(${newId})`)
            .header('odata-version', '4.0');
          if (/return=representation/.test(String(request.headers.prefer ?? '')))
            return reply
              .code(201)
              .type('application/json; odata.metadata=minimal')
              .send({ '@odata.context': `${origin}/api/data/v9.2/$metadata#annotations/$entity`, ...row });
          return reply.code(204).send();
        }
        if (request.method === 'POST' && !id && entity === 'appointment')
          return createAppointment(request, reply);
        return dvError(
          reply,
          405,
          '0x80060888',
          `The HTTP method '${request.method}' is not allowed for this resource in the simulator.`,
        );
      },
    );
  });

  /** The record a `.../x@odata.bind` value names (`/contacts(guid)`), when it exists. */
  function bound(
    value: unknown,
    sets: string[],
  ): { entity: 'contact' | 'lead' | 'systemuser'; id: string } | null {
    const m = /^\/?(contacts|leads|systemusers)\(([0-9a-fA-F-]{36})\)$/.exec(String(value ?? ''));
    if (!m || !sets.includes(m[1]!)) return null;
    const entity = COLLECTIONS[m[1]!] as 'contact' | 'lead' | 'systemuser';
    return records[entity].has(m[2]!.toLowerCase()) ? { entity, id: m[2]!.toLowerCase() } : null;
  }

  /** POST /appointments with its activity parties deep-inserted (appointment_activity_parties). */
  async function createAppointment(request: FastifyRequest, reply: FastifyReply) {
    const bad = (message: string) =>
      dvError(
        reply,
        400,
        '0x80048d19',
        `Error identified in Payload provided by the user for Entity :appointments, ${message}`,
      );
    const { appointment_activity_parties: parties = [], ...body } = (request.body ?? {}) as DvRecord & {
      appointment_activity_parties?: DvRecord[];
    };
    const regardingKey = Object.keys(body).find(
      (k) => k.startsWith('regardingobjectid_') && k.endsWith('@odata.bind'),
    );
    const regarding = regardingKey ? bound(body[regardingKey], ['contacts', 'leads']) : null;
    if (regardingKey && (!regarding || regardingKey !== `regardingobjectid_${regarding.entity}@odata.bind`))
      return bad('the regardingobjectid binding names no record.');
    const owner =
      body['ownerid@odata.bind'] === undefined ? null : bound(body['ownerid@odata.bind'], ['systemusers']);
    if (body['ownerid@odata.bind'] !== undefined && !owner) return bad('the ownerid binding names no user.');
    const stored: { participationtypemask: number; entity: 'contact' | 'lead' | 'systemuser'; id: string }[] =
      [];
    for (const party of Array.isArray(parties) ? parties : []) {
      const key = Object.keys(party).find((k) => k.startsWith('partyid_') && k.endsWith('@odata.bind'));
      const who = key ? bound(party[key], ['contacts', 'leads', 'systemusers']) : null;
      const mask = Number(party.participationtypemask);
      if (!who || key !== `partyid_${who.entity}@odata.bind` || !PARTY_ROLES.has(mask))
        return bad('an activity party names no record or no valid participationtypemask.');
      stored.push({ participationtypemask: mask, ...who });
    }
    const columns = Object.fromEntries(Object.entries(body).filter(([k]) => !k.endsWith('@odata.bind')));
    const values = checkColumns('appointment', columns, columnType);
    if ('error' in values) return dvError(reply, 400, '0x80048d19', values.error);
    const start = Date.parse(String(values.values.scheduledstart ?? ''));
    const end = Date.parse(String(values.values.scheduledend ?? ''));
    if (Number.isNaN(start) || Number.isNaN(end) || end < start)
      return dvError(
        reply,
        400,
        '0x80040203',
        'The scheduledend must be equal to or later than scheduledstart.',
      );
    const newId = randomUUID();
    const row = {
      ...values.values,
      activityid: newId,
      statecode: 3,
      _regardingobjectid_value: regarding?.id ?? null,
      _ownerid_value: owner?.id ?? null,
      createdon: new Date().toISOString(),
    };
    records.appointment.set(newId, row);
    appointmentParties.set(newId, stored);
    reply
      .header('odata-entityid', `${origin}/api/data/v9.2/appointments(${newId})`)
      .header('odata-version', '4.0');
    return reply.code(204).send();
  }

  async function attributeRoute(
    request: FastifyRequest,
    reply: FastifyReply,
    entity: 'contact' | 'lead',
    logicalName: string | undefined,
  ) {
    if (request.method === 'GET' && logicalName) {
      const a =
        attributes[entity].get(logicalName) ??
        (STANDARD_COLUMNS[entity][logicalName]
          ? {
              LogicalName: logicalName,
              SchemaName: logicalName,
              AttributeType: STANDARD_COLUMNS[entity][logicalName],
              MetadataId: randomUUID(),
            }
          : undefined);
      if (!a)
        return dvError(
          reply,
          404,
          '0x80040217',
          `Could not find attribute with name '${logicalName}' on entity '${entity}'.`,
        );
      return reply.type('application/json; odata.metadata=minimal').send({
        '@odata.context': `${origin}/api/data/v9.2/$metadata#EntityDefinitions('${entity}')/Attributes/$entity`,
        ...a,
      });
    }
    if (request.method === 'POST' && !logicalName) {
      const body = (request.body ?? {}) as Record<string, unknown>;
      const type = METADATA_TYPES[String(body['@odata.type'] ?? '')];
      const schemaName = String(body.SchemaName ?? '');
      if (!type)
        return dvError(
          reply,
          400,
          '0x80048d19',
          `The simulator creates Boolean, String and Memo columns, not ${String(body['@odata.type'])}.`,
        );
      if (!/^[a-z]{2,8}_[A-Za-z0-9]+$/.test(schemaName))
        return dvError(
          reply,
          400,
          '0x80044363',
          `Invalid schema name '${schemaName}': it needs the publisher's customization prefix.`,
        );
      const display = (body.DisplayName as { LocalizedLabels?: unknown[] } | undefined)?.LocalizedLabels;
      if (!Array.isArray(display) || display.length === 0)
        return dvError(reply, 400, '0x80048d19', 'DisplayName with at least one LocalizedLabel is required.');
      if (type === 'Boolean' && !(body.OptionSet as { TrueOption?: unknown } | undefined)?.TrueOption)
        return dvError(
          reply,
          400,
          '0x80048d19',
          'A Boolean column needs an OptionSet with TrueOption and FalseOption.',
        );
      if (type !== 'Boolean' && !(Number(body.MaxLength) > 0))
        return dvError(reply, 400, '0x80048d19', 'MaxLength is required.');
      const logical = schemaName.toLowerCase();
      if (attributes[entity].has(logical))
        return dvError(
          reply,
          400,
          '0x80047013',
          `An attribute with the name ${logical} already exists on ${entity}.`,
        );
      const metadataId = randomUUID();
      attributes[entity].set(logical, {
        ...body,
        LogicalName: logical,
        SchemaName: schemaName,
        AttributeType: type,
        MetadataId: metadataId,
      });
      return reply
        .code(204)
        .header(
          'odata-entityid',
          `${origin}/api/data/v9.2/EntityDefinitions(LogicalName='${entity}')/Attributes(${metadataId})`,
        )
        .send();
    }
    return dvError(reply, 405, '0x80060888', 'not supported by the simulator');
  }

  app.setNotFoundHandler((request, reply) =>
    dvError(reply, 404, '0x80060888', `No route for ${request.method} ${request.url.split('?')[0]}`),
  );

  const address = await app.listen({ port: options.port ?? 0, host: '127.0.0.1' });
  origin = address;

  const post = async (delivery: SentWebhook) => {
    const res = await fetch(delivery.url, {
      method: 'POST',
      headers: delivery.headers,
      body: delivery.body,
      signal: AbortSignal.timeout(60_000),
    });
    await res.arrayBuffer();
    return { status: res.status };
  };

  return {
    url: origin,
    organizationId,
    tls: material,
    tenantId: entra.tenantId,
    clientId: entra.clientId,
    clientSecret: entra.clientSecret,
    records,
    appointmentParties,
    attributes,
    requests: faults.requests,
    webhooks,
    seed(entity, fields) {
      const id = (fields.id ?? randomUUID()).toLowerCase();
      const { id: _id, ...rest } = fields;
      const now = new Date().toISOString();
      const row = {
        ...(entity === 'systemuser' ? {} : { createdon: now, modifiedon: now }),
        ...rest,
        [`${entity}id`]: id,
        versionnumber: 1,
      };
      records[entity].set(id, row);
      return { ...row, id };
    },
    defineAttribute(entity, logicalName, type) {
      attributes[entity].set(logicalName, {
        LogicalName: logicalName,
        SchemaName: logicalName,
        AttributeType: type,
        MetadataId: randomUUID(),
      });
    },
    revokeTokens: () => entra.revokeAll(),
    inject: (fault) => faults.add(fault),
    async sendWebhook(input) {
      const row = records[input.entity].get(input.id.toLowerCase());
      const correlationId = randomUUID();
      const operationId = randomUUID();
      const now = Date.now();
      const attributeList = [...new Set([`${input.entity}id`, ...input.attributes])].map((key) => ({
        key,
        value: key === `${input.entity}id` ? input.id : wireValue(row?.[key]),
      }));
      const target = {
        __type: 'Entity:http://schemas.microsoft.com/xrm/2011/Contracts',
        Attributes: attributeList,
        EntityState: null,
        FormattedValues: [],
        Id: input.id,
        KeyAttributes: [],
        LogicalName: input.entity,
        RelatedEntities: [],
        RowVersion: null,
      };
      const userId = [...records.systemuser.keys()][0] ?? randomUUID();
      const context = {
        BusinessUnitId: randomUUID(),
        CorrelationId: correlationId,
        Depth: 1,
        InitiatingUserId: userId,
        InputParameters: [{ key: 'Target', value: target }],
        IsExecutingOffline: false,
        IsInTransaction: false,
        IsOfflinePlayback: false,
        IsolationMode: 1,
        MessageName: input.message,
        Mode: 1,
        OperationCreatedOn: dotNetDate(now),
        OperationId: operationId,
        OrganizationId: organizationId,
        OrganizationName: 'draftbridgesandbox',
        OutputParameters: input.message === 'Create' ? [{ key: 'id', value: input.id }] : [],
        OwningExtension: {
          Id: randomUUID(),
          KeyAttributes: [],
          LogicalName: 'sdkmessageprocessingstep',
          Name: null,
          RowVersion: null,
        },
        ParentContext: null,
        PostEntityImages: [],
        PreEntityImages: [],
        PrimaryEntityId: input.id,
        PrimaryEntityName: input.entity,
        RequestId: null,
        SecondaryEntityName: 'none',
        SharedVariables: [],
        Stage: 40,
        UserId: userId,
      };
      // DataContractJsonSerializer escapes '/' in strings ("\/Date(…)\/", "http:\/\/…").
      const body = JSON.stringify(context).replace(/\//g, '\\/');
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-request-id': randomUUID(),
        'x-ms-dynamics-organization': 'draftbridgesandbox.crm4.dynamics.com',
        'x-ms-dynamics-entity-name': input.entity,
        'x-ms-dynamics-request-name': input.message,
        'x-ms-correlation-request-id': correlationId,
      };
      let url = input.url;
      if (input.auth.type === 'WebhookKey')
        url += `${url.includes('?') ? '&' : '?'}code=${encodeURIComponent(input.auth.key)}`;
      else headers[input.auth.name.toLowerCase()] = input.auth.value;
      const delivery: SentWebhook = { url, headers, body, correlationId, operationId };
      webhooks.push(delivery);
      return { ...(await post(delivery)), delivery };
    },
    redeliver: (delivery) => post(delivery),
    close: () => app.close(),
  };
}

/** Attribute values as the execution context carries them: booleans and strings as is, dates .NET-style. */
function wireValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v)) return dotNetDate(Date.parse(v));
  return v;
}

function checkColumns(
  entity: DvEntity,
  body: DvRecord,
  columnType: (e: DvEntity, c: string) => string | undefined,
): { values: DvRecord } | { error: string } {
  const values: DvRecord = {};
  for (const [k, v] of Object.entries(body)) {
    const type = columnType(entity, k);
    if (!type || type === 'Uniqueidentifier')
      return { error: `Invalid property '${k}' was found in entity 'Microsoft.Dynamics.CRM.${entity}'.` };
    if (type === 'Boolean' && typeof v !== 'boolean' && v !== null)
      return {
        error: `Cannot convert the literal '${String(v).slice(0, 20)}' to the expected type 'Edm.Boolean'.`,
      };
    if ((type === 'String' || type === 'Memo') && typeof v !== 'string' && v !== null)
      return { error: `Cannot convert a value to the expected type 'Edm.String' for '${k}'.` };
    values[k] = v;
  }
  return { values };
}
