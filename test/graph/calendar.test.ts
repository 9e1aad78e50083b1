import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphMail } from '../../connectors/graph/connector.ts';
import { startGraphSimulator, type GraphSimulator } from '../../sandbox/graph/simulator.ts';
import { trustSimulatorCa } from '../../sandbox/tls.ts';

const OWNER = 'maria.kalender@example.com';

describe('Graph calendar: getSchedule and mailboxSettings through the real Graph client', () => {
  let sim: GraphSimulator;
  let graph: GraphMail;

  beforeAll(async () => {
    sim = await startGraphSimulator();
    trustSimulatorCa(sim.tls.caPem);
    sim.addMailbox(OWNER);
    graph = new GraphMail({
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      authorityHost: sim.authorityHost,
      baseUrl: sim.graphBaseUrl,
      timeoutMs: 3000,
    });
  });
  afterAll(async () => {
    await sim.close();
  });

  it('answers getSchedule on the wire format and gives busy, tentative and oof blocks in UTC', async () => {
    sim.addEvent(OWNER, { start: '2026-12-01T10:00:00+01:00', end: '2026-12-01T11:30:00+01:00' });
    sim.addEvent(OWNER, {
      start: '2026-12-02T14:00:00+01:00',
      end: '2026-12-02T15:00:00+01:00',
      showAs: 'tentative',
    });
    sim.addEvent(OWNER, {
      start: '2026-12-02T16:00:00+01:00',
      end: '2026-12-02T17:00:00+01:00',
      showAs: 'free',
    });
    sim.addEvent(OWNER, { start: '2026-12-20T09:00:00+01:00', end: '2026-12-20T10:00:00+01:00' });
    const busy = await graph.getSchedule(
      OWNER,
      new Date('2026-12-01T00:00:00Z'),
      new Date('2026-12-03T00:00:00Z'),
    );
    expect(busy).toEqual([
      { start: '2026-12-01T09:00:00.000Z', end: '2026-12-01T10:30:00.000Z' },
      { start: '2026-12-02T13:00:00.000Z', end: '2026-12-02T14:00:00.000Z' },
    ]);
    const request = sim.requests.find((r) => r.path.endsWith('/calendar/getSchedule'))!;
    expect(request.method).toBe('POST');
    expect(request.body).toMatchObject({
      schedules: [OWNER],
      startTime: { timeZone: 'UTC' },
      endTime: { timeZone: 'UTC' },
    });
  });

  it('reads the mailbox zone and working hours, with Windows zone names as Exchange gives them', async () => {
    sim.setCalendarSettings(OWNER, {
      timeZone: 'GMT Standard Time',
      workingHours: {
        daysOfWeek: ['monday', 'tuesday', 'wednesday'],
        startTime: '08:30:00.0000000',
        endTime: '16:00:00.0000000',
        timeZone: { name: 'GMT Standard Time' },
      },
    });
    expect(await graph.getCalendarSettings(OWNER)).toEqual({
      timeZone: 'GMT Standard Time',
      workingHours: {
        daysOfWeek: ['monday', 'tuesday', 'wednesday'],
        startTime: '08:30:00.0000000',
        endTime: '16:00:00.0000000',
        timeZone: 'GMT Standard Time',
      },
    });
  });

  it('keeps a mailbox zone and working hours for a while: one mailboxSettings call, not one per request', async () => {
    const calls = () => sim.calls()['GET /v1.0/users/:user/mailboxSettings'] ?? 0;
    const shortLived = new GraphMail({
      tenantId: sim.tenantId,
      clientId: sim.clientId,
      clientSecret: sim.clientSecret,
      authorityHost: sim.authorityHost,
      baseUrl: sim.graphBaseUrl,
      timeoutMs: 3000,
      calendarSettingsTtlMs: 100,
    });
    const before = calls();
    await Promise.all([
      shortLived.getCalendarSettings(OWNER),
      shortLived.getCalendarSettings(OWNER.toUpperCase()),
    ]);
    expect((await shortLived.getCalendarSettings(OWNER)).timeZone).toBe('GMT Standard Time');
    expect(calls() - before).toBe(1);
    sim.setCalendarSettings(OWNER, {
      timeZone: 'W. Europe Standard Time',
      workingHours: {
        daysOfWeek: ['monday'],
        startTime: '09:00:00.0000000',
        endTime: '17:00:00.0000000',
        timeZone: { name: 'W. Europe Standard Time' },
      },
    });
    await new Promise((r) => setTimeout(r, 150));
    expect((await shortLived.getCalendarSettings(OWNER)).timeZone).toBe('W. Europe Standard Time');
    expect(calls() - before).toBe(2);
  });
});
