import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { createAppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import { defaultPolicy, testSettings } from '../support/env.ts';
import { DisposableRedis } from '../support/redis-server.ts';
import { startTestApp, type TestApp } from '../support/app.ts';

const ORG_18 = '00DDr0000062515AAA';
const SF_ENV = {
  DRAFTBRIDGE_CRM: 'salesforce',
  SALESFORCE_CLIENT_ID: '3MVG9-test-unused',
  SALESFORCE_CLIENT_SECRET: 'unused-test-secret',
};
const ORG_15 = ORG_18.slice(0, 15);
const CONTACT = '003Dr0000001001IAA';
const LEAD = '00QDr0000001006MAA';

/**
 * An Outbound Message as Salesforce's outbound messaging WSDL describes it: SOAP 1.1 envelope,
 * `notifications` in http://soap.sforce.com/2005/09/outbound with OrganizationId, ActionId,
 * SessionId (nil unless "Send Session ID"), EnterpriseUrl, PartnerUrl and up to 100 Notification{Id,
 * sObject xsi:type="sf:<Object>"} with the chosen fields in urn:sobject.enterprise.soap.sforce.com.
 */
function outboundMessage(o: {
  org?: string;
  notifications: { id: string; type: string; fields: Record<string, string | null> }[];
}): string {
  const notes = o.notifications
    .map(
      (n) =>
        `<Notification><Id>${n.id}</Id><sObject xsi:type="sf:${n.type}" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">` +
        Object.entries(n.fields)
          .map(([k, v]) => (v === null ? `<sf:${k} xsi:nil="true"/>` : `<sf:${k}>${v}</sf:${k}>`))
          .join('') +
        '</sObject></Notification>',
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>${o.org ?? ORG_18}</OrganizationId>
   <ActionId>04kDr0000000001AAA</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example-dev-ed.my.salesforce.com/services/Soap/c/62.0/${ORG_15}</EnterpriseUrl>
   <PartnerUrl>https://example-dev-ed.my.salesforce.com/services/Soap/u/62.0/${ORG_15}</PartnerUrl>
   ${notes}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>`;
}

const callback = (id = '04lDr0000000001AAA', contact = CONTACT) => ({
  id,
  type: 'Contact',
  fields: { Id: contact, Callback_Requested__c: 'true' },
});
const post = (app: TestApp['app'], body: string, url = '/webhooks/salesforce') =>
  app.inject({
    method: 'POST',
    url,
    payload: body,
    headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '""' },
  });

function ack(body: string): unknown {
  const doc = new XMLParser({ removeNSPrefix: true }).parse(body) as {
    Envelope?: { Body?: { notificationsResponse?: { Ack?: unknown } } };
  };
  return doc.Envelope?.Body?.notificationsResponse?.Ack;
}

describe('POST /webhooks/salesforce (Outbound Messages)', () => {
  let running: TestApp;
  beforeEach(async () => {
    // The org id configured in 15-character form; messages carry 18 characters.
    running = await startTestApp({ ...SF_ENV, SALESFORCE_ORG_ID: ORG_15 });
  });
  afterEach(() => running.stop());

  it('acknowledges with the notificationsResponse envelope once the job is in Redis, ids only in the payload', async () => {
    const res = await post(running.app, outboundMessage({ notifications: [callback()] }));
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    expect(res.body).toContain('xmlns="http://soap.sforce.com/2005/09/outbound"');
    expect(ack(res.body)).toBe(true);
    const jobs = await running.ctx.queues.intake.getJobs(['waiting']);
    expect(jobs.map((j) => j.id)).toEqual([`sf-${ORG_15}-04lDr0000000001AAA`]);
    expect(jobs[0]!.data).toEqual({
      requestId: `sf-${ORG_15}-04lDr0000000001AAA`,
      flow: 'callback',
      source: 'salesforce.outbound',
      account: ORG_15,
      objectType: 'contact',
      contactId: CONTACT,
      eventId: '04lDr0000000001AAA',
      occurredAt: expect.any(Number),
      receivedAt: expect.any(Number),
    });
    expect((await running.ctx.audit.read()).map((e) => e.type)).toEqual(['webhook.accepted']);
  });

  it('makes one job from a redelivered message (same notification id) and still acknowledges it', async () => {
    const body = outboundMessage({ notifications: [callback()] });
    expect(ack((await post(running.app, body)).body)).toBe(true);
    const again = await post(running.app, body);
    expect(again.statusCode).toBe(200);
    expect(ack(again.body)).toBe(true);
    expect(await running.ctx.queues.intake.getJobs(['waiting'])).toHaveLength(1);
    expect((await running.ctx.audit.read()).map((e) => e.type)).toEqual([
      'webhook.accepted',
      'webhook.duplicate',
    ]);
  });

  it('maps each notification: leads, new records (?event=created), unchecked flags and other objects', async () => {
    const body = outboundMessage({
      notifications: [
        { id: '04lDr0000000002AAA', type: 'Lead', fields: { Id: LEAD, Callback_Requested__c: 'true' } },
        {
          id: '04lDr0000000003AAA',
          type: 'Contact',
          fields: { Id: CONTACT, Callback_Requested__c: 'false' },
        },
        { id: '04lDr0000000004AAA', type: 'Opportunity', fields: { Id: '006Dr0000000001AAA' } },
        { id: '04lDr0000000005AAA', type: 'Contact', fields: { Id: CONTACT, Callback_Requested__c: null } },
      ],
    });
    expect(ack((await post(running.app, body)).body)).toBe(true);
    const jobs = await running.ctx.queues.intake.getJobs(['waiting']);
    expect(jobs.map((j) => [j.data.objectType, j.data.flow, j.data.contactId])).toEqual([
      ['lead', 'callback', LEAD],
    ]);

    const created = outboundMessage({
      notifications: [
        { id: '04lDr0000000006AAA', type: 'Lead', fields: { Id: LEAD, Company: 'Neu &amp; Partner KG' } },
      ],
    });
    expect(ack((await post(running.app, created, '/webhooks/salesforce?event=created')).body)).toBe(true);
    const sameTimes = outboundMessage({
      notifications: [
        {
          id: '04lDr0000000007AAA',
          type: 'Lead',
          fields: {
            Id: LEAD,
            CreatedDate: '2026-11-22T10:00:00.000Z',
            LastModifiedDate: '2026-11-22T10:00:00.000Z',
          },
        },
      ],
    });
    expect(ack((await post(running.app, sameTimes)).body)).toBe(true);
    const flows = (await running.ctx.queues.intake.getJobs(['waiting']))
      .map((j) => `${j.data.eventId}:${j.data.flow}`)
      .sort();
    expect(flows).toEqual([
      '04lDr0000000002AAA:callback',
      '04lDr0000000006AAA:new_lead',
      '04lDr0000000007AAA:new_lead',
    ]);
  });

  it('refuses another org with 403 and an unconfigured org check with 401, as SOAP faults', async () => {
    const other = await post(
      running.app,
      outboundMessage({ org: '00DDr0000099999AAA', notifications: [callback()] }),
    );
    expect(other.statusCode).toBe(403);
    expect(other.body).toContain('<faultstring>OrganizationId is not the configured org</faultstring>');
    // Same first 15 characters, different case-safe suffix: still the configured org.
    expect(
      (
        await post(
          running.app,
          outboundMessage({ org: `${ORG_15}XYZ`, notifications: [callback('04lDr0000000009AAA')] }),
        )
      ).statusCode,
    ).toBe(200);
    expect(
      (
        await post(
          running.app,
          outboundMessage({ org: ORG_15.toLowerCase(), notifications: [callback('04lDr0000000010AAA')] }),
        )
      ).statusCode,
    ).toBe(403);
    // A deployment for another CRM has no org to compare with.
    const unconfigured = await startTestApp({ DRAFTBRIDGE_CRM: 'hubspot' });
    try {
      expect(
        (await post(unconfigured.app, outboundMessage({ notifications: [callback()] }))).statusCode,
      ).toBe(401);
    } finally {
      await unconfigured.stop();
    }
  });

  it('answers 400 for malformed XML, DTDs, other SOAP calls and bad ids, without echoing values', async () => {
    const cut = outboundMessage({ notifications: [callback()] }).slice(0, 400);
    const broken = await post(running.app, cut);
    expect(broken.statusCode).toBe(400);
    expect(broken.headers['content-type']).toMatch(/^text\/xml/);
    const dtd = await post(
      running.app,
      `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>${outboundMessage({ notifications: [callback()] }).replace(/^<\?xml[^>]*>/, '')}`,
    );
    expect(dtd.statusCode).toBe(400);
    const other = await post(
      running.app,
      '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><login/></soapenv:Body></soapenv:Envelope>',
    );
    expect(other.statusCode).toBe(400);
    const badId = await post(
      running.app,
      outboundMessage({
        notifications: [
          {
            id: '04lDr0000000001AAA',
            type: 'Contact',
            fields: { Id: "003' OR 'x'='x", Callback_Requested__c: 'true' },
          },
        ],
      }),
    );
    expect(badId.statusCode).toBe(400);
    expect(badId.body).not.toContain("OR 'x'");
    expect(await running.ctx.queues.intake.getJobs(['waiting'])).toHaveLength(0);
  });
});

describe('Salesforce intake during a Redis outage', () => {
  const redis = { server: undefined as DisposableRedis | undefined };
  afterAll(async () => redis.server?.stop());

  it('answers 503 (no Ack, so Salesforce retries) while Redis is down and acks the retry afterwards', async () => {
    redis.server = await DisposableRedis.start();
    const ctx = createAppContext(
      testSettings({ ...SF_ENV, REDIS_URL: redis.server.url, SALESFORCE_ORG_ID: ORG_18 }),
      defaultPolicy(),
    );
    const app = await buildServer(ctx);
    try {
      await ctx.queues.intake.waitUntilReady();
      const body = outboundMessage({ notifications: [callback()] });
      await redis.server.stop();
      const down = await post(app, body);
      expect(down.statusCode).toBe(503);
      expect(ack(down.body)).toBeUndefined();
      await redis.server.start();
      let retried = await post(app, body);
      for (let i = 0; i < 50 && retried.statusCode === 503; i++) {
        await new Promise((r) => setTimeout(r, 100));
        retried = await post(app, body);
      }
      expect(retried.statusCode).toBe(200);
      expect(ack(retried.body)).toBe(true);
      expect((await ctx.queues.intake.getJobs(['waiting'])).map((j) => j.id)).toEqual([
        `sf-${ORG_15}-04lDr0000000001AAA`,
      ]);
    } finally {
      await app.close();
      await ctx.close();
    }
  });
});
