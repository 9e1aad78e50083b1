import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EwsMail } from '../../connectors/ews/connector.ts';
import { PROPERTY_SET_ID, REQUEST_PROPERTY } from '../../connectors/ews/soap.ts';
import { startEwsSimulator, type EwsSimulator } from '../../sandbox/ews/simulator.ts';
import { generateSimulatorTls } from '../../sandbox/tls.ts';
import { trustSimulatorCa } from '../../sandbox/index.ts';
import { UpstreamRateLimited, UpstreamRejected } from '../../src/errors.ts';
import type { OutgoingMail } from '../../src/ports.ts';

const OWNER = 'max.vertrieb@example.com';
const CATEGORY = 'KI-Entwurf – bitte prüfen';

function mail(requestId: string, overrides: Partial<OutgoingMail> = {}): OutgoingMail {
  return {
    mailbox: OWNER,
    to: [{ address: 'erika.musterfrau@example.com', name: 'Erika Musterfrau' }],
    subject: 'Ihr Rückrufwunsch <& „Termin“>',
    body: 'Sehr geehrte Frau Musterfrau,\nvielen Dank.',
    contentType: 'text',
    categories: [CATEGORY],
    requestId,
    ...overrides,
  };
}

describe('EWS connector (plain SOAP, NTLM/Basic/OAuth) against the Exchange simulator', () => {
  let sim: EwsSimulator;
  let ntlm: EwsMail;

  beforeAll(async () => {
    const tls = await generateSimulatorTls();
    trustSimulatorCa(tls.caPem);
    sim = await startEwsSimulator({ tls });
    sim.addMailbox(OWNER);
    ntlm = new EwsMail({ url: sim.url, auth: { kind: 'ntlm', ...sim.account }, timeoutMs: 5000 });
  });
  afterAll(async () => {
    ntlm.close();
    await sim.close();
  });

  it('saves a draft (SaveOnly) in Drafts with the category and the request property, impersonating the rep over NTLMv2', async () => {
    const ref = await ntlm.createDraft(mail('req-ews-0001'));
    expect(ref.isDraft).toBe(true);
    expect(ref.conversationId).toBeTruthy();
    const [item] = sim.itemsFor('req-ews-0001');
    expect(item).toMatchObject({
      folder: 'drafts',
      isDraft: true,
      categories: [CATEGORY],
      to: ['erika.musterfrau@example.com'],
      subject: 'Ihr Rückrufwunsch <& „Termin“>',
    });
    expect(item!.properties.get(`${PROPERTY_SET_ID}|${REQUEST_PROPERTY}`)).toBe('req-ews-0001');
    const create = sim.requests.find((r) => r.operation === 'CreateItem')!;
    expect(create).toMatchObject({ mailbox: OWNER, auth: 'ntlm' });
    expect(create.soapAction).toBe(
      '"http://schemas.microsoft.com/exchange/services/2006/messages/CreateItem"',
    );
    expect(create.xml).toContain('<t:RequestServerVersion Version="Exchange2016"/>');
    expect(create.xml).toContain('MessageDisposition="SaveOnly"');
    expect(sim.authFailures).toEqual([]);
  });

  it('finds the draft by its request property (a retry does not create a second one), and nothing for an unknown id', async () => {
    const created = await ntlm.createDraft(mail('req-ews-0002'));
    const found = await ntlm.findByRequestId(OWNER, 'req-ews-0002');
    expect(found).toMatchObject({ id: created.id, isDraft: true });
    expect(await ntlm.findByRequestId(OWNER, 'req-ews-none')).toBeNull();
    const find = sim.requests.filter((r) => r.operation === 'FindItem').at(-1)!;
    expect(find.xml).toContain(
      `PropertySetId="${PROPERTY_SET_ID}" PropertyName="${REQUEST_PROPERTY}" PropertyType="String"`,
    );
  });

  it('sends a draft (SendItem with the ChangeKey): it moves to Sent Items and is found there as sent', async () => {
    const ref = await ntlm.createDraft(mail('req-ews-0003'));
    await ntlm.sendDraft(OWNER, ref.id);
    const [item] = sim.itemsFor('req-ews-0003');
    expect(item).toMatchObject({ folder: 'sentitems', isDraft: false });
    expect(await ntlm.findByRequestId(OWNER, 'req-ews-0003')).toMatchObject({ isDraft: false });
    const message = await ntlm.getMessage(OWNER, item!.id);
    expect(message).toMatchObject({
      requestId: 'req-ews-0003',
      body: 'Sehr geehrte Frau Musterfrau,\nvielen Dank.',
    });
  });

  it('auto-sends with CreateItem SendAndSaveCopy (a copy in Sent Items, nothing in Drafts)', async () => {
    await ntlm.sendMail(mail('req-ews-0004'));
    expect(sim.itemsFor('req-ews-0004').map((i) => i.folder)).toEqual(['sentitems']);
    expect(sim.outbound.at(-1)).toMatchObject({ mailbox: OWNER, to: ['erika.musterfrau@example.com'] });
  });

  it('maps ErrorItemNotFound to null, ErrorImpersonateUserDenied to a 403 that names the role', async () => {
    expect(await ntlm.getMessage(OWNER, 'AAMkADdoesnotexist')).toBeNull();
    const err = await ntlm
      .createDraft(mail('req-ews-0005', { mailbox: 'ceo@example.com' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRejected);
    expect((err as UpstreamRejected).status).toBe(403);
    expect((err as Error).message).toMatch(/ErrorImpersonateUserDenied.*ApplicationImpersonation/);
  });

  it('waits out a short ErrorServerBusy (BackOffMilliseconds) and passes a long one on as UpstreamRateLimited', async () => {
    sim.inject({ operation: 'CreateItem', code: 'ErrorServerBusy', backOffMs: 150 });
    const started = Date.now();
    await ntlm.createDraft(mail('req-ews-0006'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(sim.itemsFor('req-ews-0006')).toHaveLength(1);
    sim.inject({ operation: 'CreateItem', code: 'ErrorServerBusy', backOffMs: 60_000 });
    const err = await ntlm.createDraft(mail('req-ews-0007')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamRateLimited);
    expect((err as UpstreamRateLimited).retryAfterMs).toBe(60_000);
    expect(sim.itemsFor('req-ews-0007')).toHaveLength(0);
  });

  it('reuses an NTLM connection Exchange authenticated (one handshake for sequential calls), and shakes hands again after the server dropped it', async () => {
    const fresh = new EwsMail({ url: sim.url, auth: { kind: 'ntlm', ...sim.account } });
    const before = sim.ntlmHandshakes;
    for (let i = 0; i < 5; i++) await fresh.findByRequestId(OWNER, `req-ews-none-${i}`);
    expect(sim.ntlmHandshakes - before).toBe(1);
    await Promise.all([1, 2, 3].map((i) => fresh.findByRequestId(OWNER, `req-ews-par-${i}`)));
    expect(sim.ntlmHandshakes - before).toBeLessThanOrEqual(3);
    const beforeDrop = sim.ntlmHandshakes;
    sim.dropConnections();
    await new Promise((r) => setTimeout(r, 50));
    expect(await fresh.findByRequestId(OWNER, 'req-ews-after-drop')).toBeNull();
    expect(sim.ntlmHandshakes - beforeDrop).toBe(1);
    fresh.close();
  });

  it('refuses a wrong NTLM password (the NTLMv2 proof is checked) with a 401 that names the settings', async () => {
    const wrong = new EwsMail({
      url: sim.url,
      auth: { kind: 'ntlm', ...sim.account, password: 'not-the-password' },
    });
    const err = await wrong.findByRequestId(OWNER, 'x').catch((e: unknown) => e);
    wrong.close();
    expect(err).toBeInstanceOf(UpstreamRejected);
    expect((err as Error).message).toMatch(/EWS_USERNAME, EWS_PASSWORD and EWS_DOMAIN/);
    expect(sim.authFailures.at(-1)).toBe('ntlm: wrong password');
  });

  it('signs in with Basic (DOMAIN\\user) and with an OAuth client-credentials token', async () => {
    const basic = new EwsMail({ url: sim.url, auth: { kind: 'basic', ...sim.account } });
    await basic.createDraft(mail('req-ews-0008'));
    basic.close();
    const oauth = new EwsMail({
      url: sim.url,
      auth: {
        kind: 'oauth',
        tokenUrl: sim.tokenUrl,
        ...sim.oauthClient,
        scope: 'https://localhost/.default',
      },
    });
    await oauth.createDraft(mail('req-ews-0009'));
    oauth.close();
    expect(
      sim.requests
        .filter((r) => r.operation === 'CreateItem')
        .slice(-2)
        .map((r) => r.auth),
    ).toEqual(['basic', 'oauth']);
  });

  it('reads free/busy and working hours (GetUserAvailability), books with the contact as required attendee, once per transaction', async () => {
    sim.addEvent(OWNER, { subject: 'Team', start: '2030-03-04T08:00:00Z', end: '2030-03-04T09:00:00Z' });
    const busy = await ntlm.getSchedule(
      OWNER,
      new Date('2030-03-04T00:00:00Z'),
      new Date('2030-03-05T00:00:00Z'),
    );
    expect(busy).toEqual([{ start: '2030-03-04T08:00:00Z', end: '2030-03-04T09:00:00Z' }]);
    const settings = await ntlm.getCalendarSettings(OWNER);
    expect(settings).toMatchObject({
      timeZone: 'Europe/Berlin',
      workingHours: {
        daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
        startTime: '08:00:00.0000000',
        endTime: '17:00:00.0000000',
      },
    });
    const event = {
      subject: 'Termin',
      start: '2030-03-05T09:00:00Z',
      end: '2030-03-05T09:30:00Z',
      attendees: [{ address: 'erika.musterfrau@example.com' }],
      body: 'Wir sprechen.',
      showAs: 'busy' as const,
      transactionId: 'tx-1',
      requestId: 'req-ews-0010',
    };
    const first = await ntlm.createEvent(OWNER, event);
    const again = await ntlm.createEvent(OWNER, event);
    expect(again.id).toBe(first.id);
    expect(sim.invitations).toEqual([
      {
        mailbox: OWNER,
        to: ['erika.musterfrau@example.com'],
        subject: 'Termin',
        start: '2030-03-05T09:00:00.000Z',
        end: '2030-03-05T09:30:00.000Z',
      },
    ]);
    expect(sim.requests.filter((r) => r.operation === 'CreateItem').at(-1)!.xml).toContain(
      'SendMeetingInvitations="SendToAllAndSaveCopy"',
    );
    // Holds: tentative, no attendees, listed by the hold property, deleted without cancellations.
    const hold = await ntlm.createEvent(OWNER, {
      ...event,
      attendees: [],
      showAs: 'tentative',
      hold: true,
      transactionId: 'tx-hold-1',
    });
    expect(await ntlm.listHolds(OWNER, 'req-ews-0010')).toEqual([
      { id: hold.id, start: '2030-03-05T09:00:00Z', end: '2030-03-05T09:30:00Z' },
    ]);
    await ntlm.deleteEvent(OWNER, hold.id);
    await ntlm.deleteEvent(OWNER, hold.id);
    expect(await ntlm.listHolds(OWNER, 'req-ews-0010')).toEqual([]);
  });
});
