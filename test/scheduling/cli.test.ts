import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runOffer, runReply } from '../../src/cli/scheduling.ts';
import { DEFAULT_SCHEDULING } from '../../src/policy.ts';

// The JSON Lines contract of `draftbridge scheduling offer|reply` (DESIGN.md), without a process.
async function run(
  lines: string[],
  runner: (io: Parameters<typeof runOffer>[0]) => Promise<void>,
): Promise<Record<string, unknown>[]> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  stdin.end(`${lines.join('\n')}\n`);
  await runner({ stdin, stdout, stderr: new PassThrough(), env: {} });
  return Buffer.concat(chunks)
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const offerLine = (id: string, note: string) =>
  JSON.stringify({
    id,
    note,
    lang: 'de',
    now: '2026-12-07T09:00:00+01:00',
    zone: 'Europe/Berlin',
    workingHours: { days: [1, 2, 3, 4, 5], start: '08:00', end: '17:00' },
    busy: [{ start: '2026-12-08T08:00:00+01:00', end: '2026-12-08T12:00:00+01:00' }],
    count: 3,
    durationMinutes: 30,
  });

describe('draftbridge scheduling offer', () => {
  it('answers each line by id with ISO slots and the parsed wishes; a bad line gets a coded error', async () => {
    const out = await run(
      [
        offerLine('a', 'bittet um einen Termin erst ab nächstem Monat'),
        'not json',
        '{"id":"c"}',
        offerLine('d', 'nur am Wochenende'),
      ],
      (io) => runOffer(io, DEFAULT_SCHEDULING),
    );
    expect(out).toHaveLength(4);
    expect(Object.keys(out[0]!)).toEqual(['id', 'slots', 'wishes']);
    const slots = out[0]!.slots as { start: string; end: string }[];
    expect(slots).toHaveLength(3);
    for (const s of slots) expect(s.start >= '2027-01-01').toBe(true);
    expect(out[1]).toMatchObject({ id: null, error: { code: 'invalid_json' } });
    expect(out[2]).toMatchObject({ id: 'c', error: { code: 'invalid_input' } });
    expect(out[3]).toMatchObject({ id: 'd', slots: [], wishes: { unmet: 'no_working_day' } });
  });
});

describe('draftbridge scheduling reply', () => {
  const offered = [
    { start: '2026-12-08T10:00:00+01:00', end: '2026-12-08T10:30:00+01:00' },
    { start: '2026-12-09T14:00:00+01:00', end: '2026-12-09T14:30:00+01:00' },
  ];
  const line = (id: string, text: string) =>
    JSON.stringify({
      id,
      text,
      lang: 'de',
      now: '2026-12-07T09:00:00+01:00',
      zone: 'Europe/Berlin',
      offered,
    });
  it('gives exactly id, choice, counter and kind', async () => {
    const out = await run(
      [
        line('r1', 'der letzte'),
        line('r2', 'Keiner passt, ginge Freitag 14 Uhr?'),
        line('r3', 'Rufen Sie mich an'),
      ],
      (io) => runReply(io, undefined),
    );
    expect(out).toEqual([
      { id: 'r1', choice: 1, counter: null, kind: 'pick' },
      {
        id: 'r2',
        choice: null,
        counter: { start: '2026-12-11T13:00:00Z', end: '2026-12-11T13:30:00Z' },
        kind: 'counter',
      },
      { id: 'r3', choice: null, counter: null, kind: 'call_me' },
    ]);
  });
});
