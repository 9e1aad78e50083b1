import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DataverseCrm } from '../../connectors/dynamics/connector.ts';
import { DATAVERSE_COLUMNS, ensureDataverseColumns } from '../../connectors/dynamics/setup.ts';
import { startDataverseSimulator, type DataverseSimulator } from '../../sandbox/dynamics/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/tls.ts';
import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';

describe('Dataverse connector against the simulator (real dynamics-web-api and @azure/identity)', () => {
  let sim: DataverseSimulator;
  let crm: DataverseCrm;
  let contactId: string;
  let leadId: string;
  let ownerId: string;
  const fields = [
    'firstname',
    'lastname',
    'emailaddress1',
    'parentcustomerid_account.name',
    '_ownerid_value',
    'new_callbacknote',
    'new_draftbridgeoptout',
  ];
  const connect = (o: Partial<ConstructorParameters<typeof DataverseCrm>[0]> = {}) =>
    new DataverseCrm({
      url: sim.url,
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      authorityHost: sim.url,
      ...o,
    });

  beforeAll(async () => {
    sim = await startDataverseSimulator();
    trustSimulatorCa(sim.tls.caPem);
    for (const e of ['contact', 'lead'] as const)
      for (const c of DATAVERSE_COLUMNS) sim.defineAttribute(e, `new_${c.name.toLowerCase()}`, c.type);
    ownerId = sim.seed('systemuser', {
      internalemailaddress: 'max.vertrieb@example.com',
      firstname: 'Max',
      lastname: 'Vertrieb',
    }).id;
    const account = sim.seed('account', { name: 'Beispiel Maschinenbau GmbH' });
    contactId = sim.seed('contact', {
      firstname: 'Erika',
      lastname: 'Musterfrau',
      emailaddress1: 'erika.musterfrau@example.com',
      _parentcustomerid_value: account.id,
      telephone1: '+49 30 901820',
      _ownerid_value: ownerId,
      new_callbacknote: 'Rückruf bitte',
      new_draftbridgeoptout: false,
    }).id;
    leadId = sim.seed('lead', {
      firstname: 'Lea',
      lastname: 'Neukunde',
      emailaddress1: 'lea.neukunde@example.com',
      companyname: 'Neu & Partner KG',
      _ownerid_value: ownerId,
    }).id;
    crm = connect();
  });
  beforeEach(() => {
    sim.requests.length = 0;
  });
  afterAll(() => sim.close());

  it('gets an app-only token for <url>/.default and reads exactly the asked columns with $select', async () => {
    const contact = await crm.getContact({ type: 'contact', id: contactId }, fields);
    expect(contact).toEqual({
      id: contactId,
      properties: {
        firstname: 'Erika',
        lastname: 'Musterfrau',
        emailaddress1: 'erika.musterfrau@example.com',
        'parentcustomerid_account.name': 'Beispiel Maschinenbau GmbH',
        _ownerid_value: ownerId,
        new_callbacknote: 'Rückruf bitte',
        new_draftbridgeoptout: 'false',
      },
    });
    const token = sim.requests.find((r) => r.path.endsWith('/oauth2/v2.0/token'));
    expect((token!.body as Record<string, string>).scope).toBe(`${sim.url}/.default`);
    const read = sim.requests.find((r) => r.path.startsWith('/api/data/'))!;
    expect(read.path).toBe(`/api/data/v9.2/contacts(${contactId})`);
    expect(String(read.query.$select).split(',').sort()).toEqual(
      ['contactid', ...fields.filter((f) => !f.includes('.'))].sort(),
    );
    expect(read.query.$expand).toBe('parentcustomerid_account($select=name)');
    expect(read.headers.authorization).toMatch(/^Bearer /);
    expect((await crm.getContact({ type: 'lead', id: leadId }, ['companyname']))!.properties).toEqual({
      companyname: 'Neu & Partner KG',
    });
  });

  it('answers null for unknown or malformed ids and for owners that are not users', async () => {
    expect(
      await crm.getContact({ type: 'contact', id: '00000000-0000-4000-8000-000000000000' }, ['firstname']),
    ).toBeNull();
    expect(await crm.getContact({ type: 'contact', id: "x') or (1 eq 1" }, ['firstname'])).toBeNull();
    expect(await crm.getOwner(ownerId)).toEqual({
      id: ownerId,
      email: 'max.vertrieb@example.com',
      firstName: 'Max',
      lastName: 'Vertrieb',
    });
    expect(await crm.getOwner('11111111-1111-4111-8111-111111111111')).toBeNull();
    await expect(
      crm.getContact({ type: 'contact', id: contactId }, ['firstname,lastname']),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    await expect(
      crm.getContact({ type: 'contact', id: contactId }, ['no_such_column']),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('records a booked meeting as an appointment regarding the contact, the contact a required attendee and the rep its organizer', async () => {
    const meeting = await crm.createMeeting({
      record: { type: 'contact', id: contactId },
      title: 'Rückruf',
      body: 'Termin aus draftbridge',
      start: new Date('2027-01-14T09:00:00Z'),
      end: new Date('2027-01-14T09:30:00Z'),
      ownerId,
    });
    expect(sim.records.appointment.get(meeting.id)).toMatchObject({
      subject: 'Rückruf',
      description: 'Termin aus draftbridge',
      scheduledstart: '2027-01-14T09:00:00.000Z',
      scheduledend: '2027-01-14T09:30:00.000Z',
      _regardingobjectid_value: contactId,
      _ownerid_value: ownerId,
    });
    expect(sim.appointmentParties.get(meeting.id)).toEqual([
      { participationtypemask: 5, entity: 'contact', id: contactId },
      { participationtypemask: 7, entity: 'systemuser', id: ownerId },
    ]);
    const post = sim.requests.find((r) => r.method === 'POST' && r.path === '/api/data/v9.2/appointments')!;
    expect(post.body).toMatchObject({ 'regardingobjectid_contact@odata.bind': `/contacts(${contactId})` });
    // A lead attends as a lead; an end before the start is refused.
    const forLead = await crm.createMeeting({
      record: { type: 'lead', id: leadId },
      title: 'x',
      body: 'x',
      start: new Date('2027-01-15T09:00:00Z'),
      end: new Date('2027-01-15T09:30:00Z'),
    });
    expect(sim.appointmentParties.get(forLead.id)).toEqual([
      { participationtypemask: 5, entity: 'lead', id: leadId },
    ]);
    await expect(
      crm.createMeeting({
        record: { type: 'lead', id: leadId },
        title: 'x',
        body: 'x',
        start: new Date('2027-01-15T09:00:00Z'),
        end: new Date('2027-01-15T08:00:00Z'),
      }),
    ).rejects.toBeInstanceOf(UpstreamRejected);
  });

  it('writes an annotation bound to the contact or lead and PATCHes the status columns (booleans as booleans)', async () => {
    const note = await crm.createNote({
      record: { type: 'lead', id: leadId },
      body: '<p>draftbridge: Entwurf liegt bereit</p>',
    });
    expect(sim.records.annotation.get(note.id)).toMatchObject({
      subject: 'draftbridge',
      notetext: 'draftbridge: Entwurf liegt bereit',
      objecttypecode: 'lead',
      _objectid_value: leadId,
    });
    const post = sim.requests.find((r) => r.method === 'POST' && r.path === '/api/data/v9.2/annotations')!;
    expect(post.body).toMatchObject({ 'objectid_lead@odata.bind': `/leads(${leadId})` });
    await crm.updateContact(
      { type: 'contact', id: contactId },
      { new_draftbridgestatus: 'awaiting_review', new_draftbridgeoptout: 'true' },
    );
    expect(sim.records.contact.get(contactId)).toMatchObject({
      new_draftbridgestatus: 'awaiting_review',
      new_draftbridgeoptout: true,
    });
    expect(sim.requests.find((r) => r.method === 'PATCH')!.headers['if-match']).toBe('*');
    // If-Match: * — an unknown record is refused, never created.
    await expect(
      crm.updateContact(
        { type: 'contact', id: '00000000-0000-4000-8000-000000000001' },
        { new_draftbridgestatus: 'x' },
      ),
    ).rejects.toBeInstanceOf(UpstreamRejected);
    expect(sim.records.contact.has('00000000-0000-4000-8000-000000000001')).toBe(false);
  });

  it('maps the service-protection 429 to UpstreamRateLimited with its Retry-After, without retrying', async () => {
    await crm.getOwner(ownerId);
    sim.requests.length = 0;
    sim.inject({ status: 429, retryAfterSeconds: 7, times: 1 });
    const err = await crm
      .getContact({ type: 'contact', id: contactId }, ['firstname'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect((err as UpstreamRateLimited).retryAfterMs).toBe(7000);
    expect(sim.requests).toHaveLength(1);
  });

  it('retries 5xx reads, never a note POST; persistent 5xx and timeouts become UpstreamUnavailable', async () => {
    await crm.getOwner(ownerId);
    sim.requests.length = 0;
    sim.inject({ status: 503, times: 2 });
    expect((await crm.getContact({ type: 'contact', id: contactId }, ['firstname']))!.id).toBe(contactId);
    expect(sim.requests).toHaveLength(3);
    sim.inject({ status: 500, times: 3 });
    await expect(crm.getContact({ type: 'contact', id: contactId }, ['firstname'])).rejects.toBeInstanceOf(
      UpstreamUnavailable,
    );
    sim.requests.length = 0;
    sim.inject({ status: 500, times: 1, method: 'POST' });
    await expect(
      crm.createNote({ record: { type: 'contact', id: contactId }, body: 'x' }),
    ).rejects.toBeInstanceOf(UpstreamUnavailable);
    expect(sim.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/annotations'))).toHaveLength(
      1,
    );
    const quick = connect({ timeoutMs: 300, serverErrorRetries: 0 });
    await quick.getOwner(ownerId);
    sim.inject({ timeout: true, timeoutMs: 800, times: 1 });
    await expect(quick.getOwner(ownerId)).rejects.toBeInstanceOf(UpstreamUnavailable);
    // No malformed-body case here: dynamics-web-api 2.5 parses a 2xx body inside the response's 'end'
    // handler without a try, so a truncated JSON body is an uncaught exception in the client (see README).
  });

  it('refuses a wrong client secret as a configuration error', async () => {
    await expect(connect({ clientSecret: 'wrong' }).getOwner(ownerId)).rejects.toBeInstanceOf(
      UpstreamRejected,
    );
  });

  it('setup creates the columns on contact and lead through the metadata API, and a re-run creates nothing', async () => {
    const fresh = await startDataverseSimulator({ tls: sim.tls });
    try {
      const c = new DataverseCrm({
        url: fresh.url,
        tenantId: fresh.tenantId,
        clientId: fresh.clientId,
        clientSecret: fresh.clientSecret,
        authorityHost: fresh.url,
      });
      const first = await ensureDataverseColumns(c.api);
      expect(first.created).toHaveLength(12);
      expect(fresh.attributes.lead.get('new_callbackrequested')).toMatchObject({
        AttributeType: 'Boolean',
        SchemaName: 'new_CallbackRequested',
      });
      expect(fresh.attributes.contact.get('new_callbacknote')).toMatchObject({
        AttributeType: 'Memo',
        MaxLength: 4000,
      });
      const again = await ensureDataverseColumns(c.api);
      expect(again).toEqual({ created: [], existing: first.created });
    } finally {
      await fresh.close();
    }
  });
});
