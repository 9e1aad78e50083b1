import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import { attributeText, DotNetDate } from '../../connectors/dynamics/events.ts';
import { defaultPolicy, testSettings } from '../support/env.ts';
import { DisposableRedis } from '../support/redis-server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const KEY = 'dataverse-webhook-key-0123456789';
const DV_ENV = {
  DRAFTBRIDGE_CRM: 'dynamics',
  DATAVERSE_URL: 'https://draftbridge-test.crm4.dynamics.com',
  DATAVERSE_TENANT_ID: '00000000-0000-4000-8000-00000000aaaa',
  DATAVERSE_CLIENT_ID: '00000000-0000-4000-8000-00000000bbbb',
  DATAVERSE_CLIENT_SECRET: 'unused-test-secret',
  DATAVERSE_WEBHOOK_KEY: KEY,
};
const ORG = '4ef5b371-e89e-e711-8122-000d3aa2331c';
const CONTACT = '6d81597f-0f9f-e711-8122-000d3aa2331c';

/**
 * A RemoteExecutionContext in the shape of Microsoft's documented webhook example (use-webhooks:
 * asynchronous PostOperation step on Update of contact): InputParameters and Attributes as
 * [{key, value}], EntityReference and .NET dates, RequestId null. Serialised like
 * DataContractJsonSerializer (slashes escaped).
 */
function context(
  o: {
    message?: string;
    entity?: string;
    id?: string;
    attributes?: { key: string; value: unknown }[];
    correlationId?: string;
    operationId?: string;
  } = {},
) {
  const id = o.id ?? CONTACT;
  const entity = o.entity ?? 'contact';
  const body = {
    BusinessUnitId: 'e2b9dd85-e89e-e711-8122-000d3aa2331c',
    CorrelationId: o.correlationId ?? randomUUID(),
    Depth: 1,
    InitiatingUserId: '75c2dd85-e89e-e711-8122-000d3aa2331c',
    InputParameters: [
      {
        key: 'Target',
        value: {
          __type: 'Entity:http://schemas.microsoft.com/xrm/2011/Contracts',
          Attributes: [
            ...(o.attributes ?? [{ key: 'new_callbackrequested', value: true }]),
            { key: `${entity}id`, value: id },
            { key: 'modifiedon', value: '/Date(1506384247000)/' },
            {
              key: 'modifiedby',
              value: {
                __type: 'EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts',
                Id: '75c2dd85-e89e-e711-8122-000d3aa2331c',
                KeyAttributes: [],
                LogicalName: 'systemuser',
                Name: null,
                RowVersion: null,
              },
            },
          ],
          EntityState: null,
          FormattedValues: [],
          Id: id,
          KeyAttributes: [],
          LogicalName: entity,
          RelatedEntities: [],
          RowVersion: null,
        },
      },
    ],
    IsExecutingOffline: false,
    IsInTransaction: false,
    IsOfflinePlayback: false,
    IsolationMode: 1,
    MessageName: o.message ?? 'Update',
    Mode: 1,
    OperationCreatedOn: '/Date(1506409448000-0700)/',
    OperationId: o.operationId ?? randomUUID(),
    OrganizationId: ORG,
    OrganizationName: 'OrgName',
    OutputParameters: [],
    OwningExtension: {
      Id: '75417616-4ea2-e711-8122-000d3aa2331c',
      KeyAttributes: [],
      LogicalName: 'sdkmessageprocessingstep',
      Name: null,
      RowVersion: null,
    },
    ParentContext: null,
    PostEntityImages: [],
    PreEntityImages: [],
    PrimaryEntityId: id,
    PrimaryEntityName: entity,
    RequestId: null,
    SecondaryEntityName: 'none',
    SharedVariables: [],
    Stage: 40,
    UserId: '75c2dd85-e89e-e711-8122-000d3aa2331c',
  };
  return { json: body, text: JSON.stringify(body).replace(/\//g, '\\/') };
}

const headers = {
  'content-type': 'application/json',
  'x-ms-dynamics-organization': 'orgname.crm4.dynamics.com',
  'x-ms-dynamics-entity-name': 'contact',
  'x-ms-dynamics-request-name': 'Update',
};

describe('POST /webhooks/dynamics (Dataverse webhooks)', () => {
  let running: TestApp;
  beforeEach(async () => {
    running = await startTestApp(DV_ENV);
  });
  afterEach(() => running.stop());
  const post = (
    payload: string,
    url = `/webhooks/dynamics?code=${KEY}`,
    extra: Record<string, string> = {},
  ) => running.app.inject({ method: 'POST', url, payload, headers: { ...headers, ...extra } });

  it('accepts a context with the WebhookKey and enqueues ids only, deduped by CorrelationId and OperationId', async () => {
    const c = context();
    const res = await post(c.text);
    expect(res.statusCode).toBe(204);
    const jobs = await running.ctx.queues.intake.getJobs(['waiting']);
    expect(jobs.map((j) => j.data)).toEqual([
      {
        requestId: `dv-${c.json.CorrelationId}-${c.json.OperationId}`,
        flow: 'callback',
        source: 'dynamics.webhook',
        account: ORG,
        objectType: 'contact',
        contactId: CONTACT,
        eventId: c.json.OperationId,
        occurredAt: 1506409448000,
        receivedAt: expect.any(Number),
      },
    ]);
    // The system job retries with the same context: one job.
    expect((await post(c.text)).statusCode).toBe(204);
    expect(await running.ctx.queues.intake.getJobs(['waiting'])).toHaveLength(1);
    expect((await running.ctx.audit.read()).map((e) => e.type)).toEqual([
      'webhook.accepted',
      'webhook.duplicate',
    ]);
  });

  it('starts new_lead on Create of a lead and ignores updates that do not set the callback flag', async () => {
    expect(
      (
        await post(
          context({
            message: 'Create',
            entity: 'lead',
            attributes: [{ key: 'companyname', value: 'Neu & Partner KG' }],
          }).text,
        )
      ).statusCode,
    ).toBe(204);
    expect(
      (await post(context({ attributes: [{ key: 'new_callbackrequested', value: false }] }).text)).statusCode,
    ).toBe(204);
    expect(
      (await post(context({ attributes: [{ key: 'new_draftbridgestatus', value: 'awaiting_review' }] }).text))
        .statusCode,
    ).toBe(204);
    expect((await post(context({ entity: 'account' }).text)).statusCode).toBe(204);
    const jobs = await running.ctx.queues.intake.getJobs(['waiting']);
    expect(jobs.map((j) => [j.data.objectType, j.data.flow])).toEqual([['lead', 'new_lead']]);
  });

  it('refuses a missing, wrong or longer key with 401', async () => {
    const c = context().text;
    expect((await post(c, '/webhooks/dynamics')).statusCode).toBe(401);
    expect((await post(c, '/webhooks/dynamics?code=wrong')).statusCode).toBe(401);
    expect((await post(c, `/webhooks/dynamics?code=${KEY}x`)).statusCode).toBe(401);
    expect(await running.ctx.queues.intake.getJobs(['waiting'])).toHaveLength(0);
  });

  it('answers 400 for bodies that are not a RemoteExecutionContext, naming paths and no values', async () => {
    expect((await post('{"CorrelationId": ')).statusCode).toBe(400);
    const bad = await post(
      JSON.stringify({ ...context().json, PrimaryEntityId: 'erika.musterfrau@example.com' }),
    );
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('PrimaryEntityId');
    expect(bad.body).not.toContain('erika');
  });

  it('reads .NET dates and attribute values as the trigger compares them', () => {
    expect(DotNetDate.parse('/Date(1506409448000-0700)/')).toBe(1506409448000);
    expect(DotNetDate.parse('/Date(1506384247000)/')).toBe(1506384247000);
    expect(attributeText(true)).toBe('true');
    expect(
      attributeText({ __type: 'OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts', Value: 1 }),
    ).toBe('1');
    expect(attributeText('/Date(1506384247000)/')).toBe('2017-09-26T00:04:07.000Z');
    expect(attributeText(null)).toBeUndefined();
  });
});

describe('Dataverse webhooks with HttpHeader auth', () => {
  it('takes the key from the configured header instead of ?code=', async () => {
    const running = await startTestApp({ ...DV_ENV, DATAVERSE_WEBHOOK_HEADER: 'X-Draftbridge-Key' });
    try {
      const c = context().text;
      const viaHeader = await running.app.inject({
        method: 'POST',
        url: '/webhooks/dynamics',
        payload: c,
        headers: { ...headers, 'x-draftbridge-key': KEY },
      });
      expect(viaHeader.statusCode).toBe(204);
      const viaQuery = await running.app.inject({
        method: 'POST',
        url: `/webhooks/dynamics?code=${KEY}`,
        payload: context().text,
        headers,
      });
      expect(viaQuery.statusCode).toBe(401);
    } finally {
      await running.stop();
    }
  });
});

describe('Dataverse intake during a Redis outage', () => {
  const redis = { server: undefined as DisposableRedis | undefined };
  afterAll(async () => redis.server?.stop());

  it('answers 503 while Redis is down (Dataverse retries the system job) and accepts the retry afterwards', async () => {
    redis.server = await DisposableRedis.start();
    const ctx = createAppContext(testSettings({ ...DV_ENV, REDIS_URL: redis.server.url }), defaultPolicy());
    const app = await buildServer(ctx);
    try {
      await ctx.queues.intake.waitUntilReady();
      const c = context();
      const send = () =>
        app.inject({ method: 'POST', url: `/webhooks/dynamics?code=${KEY}`, payload: c.text, headers });
      await redis.server.stop();
      expect((await send()).statusCode).toBe(503);
      await redis.server.start();
      let retried = await send();
      for (let i = 0; i < 50 && retried.statusCode === 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        retried = await send();
      }
      expect(retried.statusCode).toBe(204);
      expect((await ctx.queues.intake.getJobs(['waiting'])).map((j) => j.id)).toEqual([
        `dv-${c.json.CorrelationId}-${c.json.OperationId}`,
      ]);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
