import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerPseudonymise } from '../../../src/cli/pseudonymise.ts';

/** Runs `draftbridge pseudonymise` in-process through commander, with the given stdin. */
async function run(input: string, env: NodeJS.ProcessEnv = {}): Promise<{ out: string; err: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += String(d)));
  stderr.on('data', (d: Buffer) => (err += String(d)));
  const program = new Command('draftbridge').exitOverride();
  registerPseudonymise(program, { stdin, stdout, stderr, env });
  stdin.end(input);
  await program.parseAsync(['pseudonymise'], { from: 'user' });
  return { out, err };
}

describe('draftbridge pseudonymise (JSON Lines contract)', () => {
  it('answers one line per input line in order, errors as lines, never an original value', async () => {
    const input = [
      JSON.stringify({
        text: 'Herr Jonas Beispielmann (jonas.beispielmann@example.com, 0171 2345678) bittet um Rückruf.',
        contact: {
          firstname: 'Jonas',
          lastname: 'Beispielmann',
          email: 'jonas.beispielmann@example.com',
          phone: null,
        },
        lang: 'de',
      }),
      'not json',
      JSON.stringify({
        text: 'She goes to church every Sunday; call Ms. Example on +44 20 7946 0958.',
        lang: 'en',
      }),
      JSON.stringify({ nope: 1 }),
      '',
      JSON.stringify({ text: 'Frau Greta Musterfrau ist in der Reha nach einer Knie-OP.' }),
    ].join('\n');
    const { out, err } = await run(input);
    expect(err).toBe('');
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toEqual({
      text: 'Herr [[PERSON_1]] ([[EMAIL_1]], [[PHONE_1]]) bittet um Rückruf.',
      entities: expect.arrayContaining([
        { type: 'PERSON', placeholder: '[[PERSON_1]]' },
        { type: 'EMAIL', placeholder: '[[EMAIL_1]]' },
        { type: 'PHONE', placeholder: '[[PHONE_1]]' },
      ]),
      categories: [],
      blocked: false,
    });
    expect(lines[0]!.entities).toHaveLength(3);
    expect(lines[1]).toEqual({ error: 'line 2: not valid JSON' });
    expect(lines[2]).toMatchObject({ categories: ['religion'], blocked: true });
    expect(lines[3]!.error).toMatch(/^line 4: text/);
    expect(lines[4]).toMatchObject({
      text: 'Frau [[PERSON_1]] ist in der Reha nach einer Knie-OP.',
      categories: ['health'],
      blocked: false,
    });
    for (const line of lines.filter((l) => !('error' in l)))
      expect(Object.keys(line).sort()).toEqual(['blocked', 'categories', 'entities', 'text']);
    for (const v of [
      'Jonas',
      'Beispielmann',
      'jonas.beispielmann',
      '2345678',
      'Example',
      '7946',
      'Greta',
      'Musterfrau',
    ])
      expect(out).not.toContain(v);
  });

  it('needs no environment beyond the policy path, and reports a bad policy path on stderr without output', async () => {
    const { out, err } = await run(JSON.stringify({ text: 'x' }), {
      DRAFTBRIDGE_POLICY: '/nonexistent/policy.yaml',
    });
    expect(out).toBe('');
    expect(err).toMatch(/^draftbridge: .*policy/);
    process.exitCode = 0;
  });
});
