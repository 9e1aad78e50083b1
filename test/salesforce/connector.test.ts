import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SalesforceCrm, soqlString } from '../../connectors/salesforce/connector.ts';
import { ensureSalesforceFields, SALESFORCE_FIELDS } from '../../connectors/salesforce/setup.ts';
import {
  startSalesforceSimulator,
  to18,
  type SalesforceSimulator,
} from '../../sandbox/salesforce/simulator.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';

describe('Salesforce connector against the simulator (real jsforce)', () => {
  let sim: SalesforceSimulator;
  let crm: SalesforceCrm;
  let contactId: string;
  let leadId: string;
  let ownerId: string;
  const fields = [
    'FirstName',
    'LastName',
    'Email',
    'Account.Name',
    'Callback_Note__c',
    'OwnerId',
    'Draftbridge_Opt_Out__c',
  ];

  beforeAll(async () => {
    sim = await startSalesforceSimulator();
    for (const o of ['Contact', 'Lead'])
      for (const f of SALESFORCE_FIELDS)
        sim.customFields.set(`${o}.${f.name}`, { fullName: `${o}.${f.name}`, label: f.label, type: f.type });
    const account = sim.seed('Account', { Name: 'Beispiel Maschinenbau GmbH' });
    ownerId = sim.seed('User', {
      FirstName: 'Max',
      LastName: 'Vertrieb',
      Email: 'max.vertrieb@example.com',
      Username: 'max.vertrieb@example.com',
      IsActive: true,
    }).Id;
    contactId = sim.seed('Contact', {
      FirstName: 'Erika',
      LastName: 'Musterfrau',
      Email: 'erika.musterfrau@example.com',
      AccountId: account.Id,
      OwnerId: ownerId,
      Phone: '+49 30 901820',
      Callback_Note__c: 'Rückruf bitte',
      Draftbridge_Opt_Out__c: false,
    }).Id;
    leadId = sim.seed('Lead', {
      FirstName: 'Lea',
      LastName: 'Neukunde',
      Email: 'lea.neukunde@example.com',
      Company: 'Neu & Partner KG',
      OwnerId: ownerId,
    }).Id;
  });
  beforeEach(() => {
    crm = new SalesforceCrm({
      auth: {
        flow: 'client_credentials',
        loginUrl: sim.url,
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
      },
      apiVersion: '62.0',
      serverErrorRetries: 2,
      limitPauseMs: 60_000,
    });
    sim.requests.length = 0;
  });
  afterAll(() => sim.close());

  it('signs in with client credentials and reads exactly the asked fields with one SOQL query', async () => {
    const contact = await crm.getContact({ type: 'contact', id: contactId }, fields);
    expect(contact).toEqual({
      id: contactId,
      properties: {
        FirstName: 'Erika',
        LastName: 'Musterfrau',
        Email: 'erika.musterfrau@example.com',
        'Account.Name': 'Beispiel Maschinenbau GmbH',
        Callback_Note__c: 'Rückruf bitte',
        OwnerId: ownerId,
        Draftbridge_Opt_Out__c: 'false',
      },
    });
    const [token, query] = sim.requests;
    expect(token!.path).toBe('/services/oauth2/token');
    expect(query!.path).toBe('/services/data/v62.0/query');
    expect(query!.query.q).toBe(`SELECT Id, ${fields.join(', ')} FROM Contact WHERE Id = '${contactId}'`);
    expect(query!.headers.authorization).toMatch(/^Bearer /);
    expect(crm.apiUsage!.used).toBeGreaterThan(0);
    // A 15-character id names the same record; a lead is read from Lead.
    expect(
      (await crm.getContact({ type: 'contact', id: contactId.slice(0, 15) }, ['Email']))!.properties.Email,
    ).toBe('erika.musterfrau@example.com');
    expect((await crm.getContact({ type: 'lead', id: leadId }, ['Company']))!.properties).toEqual({
      Company: 'Neu & Partner KG',
    });
  });

  it('never puts an unvalidated id into SOQL, and answers null for unknown records and non-user owners', async () => {
    expect(await crm.getContact({ type: 'contact', id: "003' OR Name != '" }, ['Email'])).toBeNull();
    expect(await crm.getContact({ type: 'contact', id: to18('003000000000000') }, ['Email'])).toBeNull();
    expect(sim.requests.filter((r) => r.path.endsWith('/query'))).toHaveLength(1);
    expect(soqlString("O'Brien\\")).toBe("'O\\'Brien\\\\'");
    await expect(
      crm.getContact({ type: 'contact', id: contactId }, ['Email FROM User --']),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    expect(await crm.getOwner(ownerId)).toEqual({
      id: ownerId,
      email: 'max.vertrieb@example.com',
      firstName: 'Max',
      lastName: 'Vertrieb',
    });
    expect(await crm.getOwner('00G000000000001')).toBeNull();
  });

  it('writes a completed Task linked by WhoId and patches the status fields', async () => {
    const note = await crm.createNote({
      record: { type: 'lead', id: leadId },
      body: '<p>draftbridge: Entwurf liegt bereit</p><p>req-1 &amp; more</p>',
      ownerId,
      at: new Date('2026-11-22T10:00:00Z'),
    });
    const task = sim.records.Task.get(note.id)!;
    expect(task).toMatchObject({
      WhoId: leadId,
      Subject: 'draftbridge',
      Status: 'Completed',
      ActivityDate: '2026-11-22',
      OwnerId: ownerId,
      Description: 'draftbridge: Entwurf liegt bereit\nreq-1 & more',
    });
    await crm.updateContact(
      { type: 'contact', id: contactId },
      { Draftbridge_Status__c: 'awaiting_review', Draftbridge_Opt_Out__c: 'true' },
    );
    expect(sim.records.Contact.get(contactId)).toMatchObject({
      Draftbridge_Status__c: 'awaiting_review',
      Draftbridge_Opt_Out__c: true,
    });
    await expect(
      crm.updateContact({ type: 'contact', id: contactId }, { No_Such_Field__c: 'x' }),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('records a booked meeting as an Event on the contact’s timeline, owned by the rep', async () => {
    const start = new Date('2027-01-14T09:00:00Z');
    const meeting = await crm.createMeeting({
      record: { type: 'contact', id: contactId },
      title: 'Rückruf',
      body: '<p>Termin aus draftbridge</p>',
      start,
      end: new Date('2027-01-14T09:30:00Z'),
      ownerId,
    });
    expect(meeting.id.startsWith('00U')).toBe(true);
    expect(sim.records.Event.get(meeting.id)).toMatchObject({
      WhoId: contactId,
      OwnerId: ownerId,
      Subject: 'Rückruf',
      Description: 'Termin aus draftbridge',
      StartDateTime: '2027-01-14T09:00:00.000Z',
      EndDateTime: '2027-01-14T09:30:00.000Z',
      ShowAs: 'Busy',
    });
    // Salesforce refuses an Event ending before it starts; the connector passes the refusal on.
    await expect(
      crm.createMeeting({
        record: { type: 'lead', id: leadId },
        title: 'x',
        body: 'x',
        start,
        end: new Date('2027-01-14T08:00:00Z'),
      }),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('signs in again when the session expires (no refresh token in either flow)', async () => {
    await crm.getOwner(ownerId);
    sim.expireSessions();
    expect(await crm.getOwner(ownerId)).not.toBeNull();
    expect(sim.requests.filter((r) => r.path === '/services/oauth2/token')).toHaveLength(2);
  });

  it('signs in with the JWT bearer flow; the simulator checks the signature against the certificate', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const username = 'integration.jwt@draftbridge.example.com';
    sim.allowJwt({ username, certificatePem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const jwt = new SalesforceCrm({
      auth: {
        flow: 'jwt_bearer',
        loginUrl: sim.url,
        clientId: sim.clientId,
        username,
        privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
      apiVersion: '62.0',
    });
    expect(await jwt.getOwner(ownerId)).not.toBeNull();
    const tokenBody = sim.requests.find((r) => r.path === '/services/oauth2/token')!.body as Record<
      string,
      string
    >;
    expect(tokenBody.grant_type).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    expect(tokenBody.client_secret).toBeUndefined();
    // A key the Connected App does not know is refused: a configuration error, not a retry.
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const wrong = new SalesforceCrm({
      auth: { flow: 'jwt_bearer', loginUrl: sim.url, clientId: sim.clientId, username, privateKeyPem: other },
      apiVersion: '62.0',
    });
    await expect(wrong.getOwner(ownerId)).rejects.toBeInstanceOf(UpstreamRejected);
    const badSecret = new SalesforceCrm({
      auth: { flow: 'client_credentials', loginUrl: sim.url, clientId: sim.clientId, clientSecret: 'nope' },
      apiVersion: '62.0',
    });
    await expect(badSecret.getOwner(ownerId)).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('maps REQUEST_LIMIT_EXCEEDED (403) and 429 to UpstreamRateLimited without retrying', async () => {
    await crm.getOwner(ownerId); // signed in
    sim.requests.length = 0;
    sim.inject({ status: 403, times: 1 });
    const limit = await crm
      .getContact({ type: 'contact', id: contactId }, ['Email'])
      .catch((e: unknown) => e);
    expect(limit).toBeInstanceOf(UpstreamRateLimited);
    expect((limit as UpstreamRateLimited).retryAfterMs).toBe(60_000);
    sim.inject({ status: 429, retryAfterSeconds: 2, times: 1 });
    const busy = await crm.getContact({ type: 'contact', id: contactId }, ['Email']).catch((e: unknown) => e);
    expect((busy as UpstreamRateLimited).retryAfterMs).toBe(2000);
    expect(sim.requests).toHaveLength(2);
  });

  it('retries 5xx reads and patches, never a Task POST; persistent 5xx, timeouts and garbage become UpstreamUnavailable', async () => {
    await crm.getOwner(ownerId);
    sim.requests.length = 0;
    sim.inject({ status: 503, times: 2 });
    expect((await crm.getContact({ type: 'contact', id: contactId }, ['Email']))!.id).toBe(contactId);
    expect(sim.requests).toHaveLength(3);
    sim.inject({ status: 500, times: 3 });
    await expect(crm.getContact({ type: 'contact', id: contactId }, ['Email'])).rejects.toBeInstanceOf(
      UpstreamUnavailable,
    );
    sim.requests.length = 0;
    sim.inject({ status: 500, times: 1, method: 'POST' });
    await expect(
      crm.createNote({ record: { type: 'contact', id: contactId }, body: 'x' }),
    ).rejects.toBeInstanceOf(UpstreamUnavailable);
    expect(sim.requests).toHaveLength(1);
    const quick = new SalesforceCrm({
      auth: {
        flow: 'client_credentials',
        loginUrl: sim.url,
        clientId: sim.clientId,
        clientSecret: sim.clientSecret,
      },
      apiVersion: '62.0',
      timeoutMs: 300,
      serverErrorRetries: 0,
    });
    await quick.getOwner(ownerId);
    sim.inject({ timeout: true, timeoutMs: 800, times: 1 });
    await expect(quick.getOwner(ownerId)).rejects.toBeInstanceOf(UpstreamUnavailable);
    sim.inject({ malformed: true, times: 3 });
    await expect(crm.getContact({ type: 'contact', id: contactId }, ['Email'])).rejects.toBeInstanceOf(
      UpstreamUnavailable,
    );
  });

  it('setup creates the custom fields on Contact and Lead through the Metadata API, and a re-run creates nothing', async () => {
    const fresh = await startSalesforceSimulator();
    try {
      const setupCrm = new SalesforceCrm({
        auth: {
          flow: 'client_credentials',
          loginUrl: fresh.url,
          clientId: fresh.clientId,
          clientSecret: fresh.clientSecret,
        },
        apiVersion: '62.0',
      });
      const first = await ensureSalesforceFields(await setupCrm.connect());
      expect(first.created).toHaveLength(12);
      expect(first.existing).toEqual([]);
      expect(fresh.customFields.get('Lead.Callback_Requested__c')).toMatchObject({
        type: 'Checkbox',
        defaultValue: 'false',
      });
      const again = await ensureSalesforceFields(await setupCrm.connect());
      expect(again.created).toEqual([]);
      expect(again.existing).toHaveLength(12);
      expect(fresh.requests.filter((r) => r.path === '/services/Soap/m/62.0')).toHaveLength(2 + 2 + 2);
    } finally {
      await fresh.close();
    }
  });
});
