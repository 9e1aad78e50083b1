import { PassThrough } from 'node:stream';
import { Command } from 'commander';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { registerPseudonymise } from '../../src/cli/pseudonymise.ts';
import { FUZZ_TIMEOUT, fuzzParams, personalString } from './support.ts';

/** `draftbridge pseudonymise` (JSON Lines contract) driven in-process through commander. */
async function run(input: string): Promise<{ out: string; err: string }> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += String(d)));
  stderr.on('data', (d: Buffer) => (err += String(d)));
  const program = new Command('draftbridge').exitOverride();
  registerPseudonymise(program, { stdin, stdout, stderr, env: {} });
  stdin.end(input);
  await program.parseAsync(['pseudonymise'], { from: 'user' });
  return { out, err };
}

const firstName = fc.constantFrom('Erika', 'Jonas', 'Miriam', 'Harriet', 'Desmond', 'Sieglinde', 'Rupert');
const lastName = fc.stringMatching(/^[A-Z][a-z]{4,9}(mann|berg|frau)$/);
const contactLine = fc
  .record({
    firstname: firstName,
    lastname: lastName,
    domain: fc.constantFrom('example.com', 'example.test'),
    filler: fc.array(fc.string(), { maxLength: 3 }),
    lang: fc.constantFrom('de', 'en', undefined),
  })
  .map((c) => {
    const email = `${c.firstname.toLowerCase()}.${c.lastname.toLowerCase()}@${c.domain}`;
    const text = [
      `Bitte Rückruf an ${c.firstname} ${c.lastname}`,
      ...c.filler,
      `(${email})`,
      `Gruß, Frau ${c.lastname}`,
    ].join(' ');
    return {
      line: JSON.stringify({
        text,
        contact: { firstname: c.firstname, lastname: c.lastname, email },
        ...(c.lang ? { lang: c.lang } : {}),
      }),
      values: [c.lastname, email],
    };
  });
const anyLine = fc.oneof(
  contactLine,
  fc.string().map((s) => ({ line: s.replace(/[\r\n]/g, ' '), values: [] as string[] })),
  fc.jsonValue().map((v) => ({ line: JSON.stringify(v) ?? 'null', values: [] as string[] })),
  fc
    .dictionary(personalString, fc.jsonValue(), { minKeys: 1, maxKeys: 2 })
    .map((d) => ({ line: JSON.stringify({ text: 'x', contact: d }), values: Object.keys(d) })),
  fc
    .record(
      {
        text: fc.string(),
        contact: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constant(null))),
        lang: fc.string(),
      },
      { requiredKeys: ['text'] },
    )
    .map((v) => ({ line: JSON.stringify(v), values: [] as string[] })),
);

describe('fuzz: draftbridge pseudonymise', { timeout: FUZZ_TIMEOUT }, () => {
  it('one well-formed output line per non-empty input line; never an original contact value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(anyLine, { minLength: 1, maxLength: 6 }), async (lines) => {
        const { out, err } = await run(lines.map((l) => l.line).join('\n'));
        expect(err).toBe('');
        const outputs = out.split('\n').filter(Boolean);
        expect(outputs).toHaveLength(lines.filter((l) => l.line.trim() !== '').length);
        for (const o of outputs) {
          const parsed = JSON.parse(o) as Record<string, unknown>;
          if ('error' in parsed) expect(Object.keys(parsed)).toEqual(['error']);
          else {
            expect(Object.keys(parsed).sort()).toEqual(['blocked', 'categories', 'entities', 'text']);
            for (const e of parsed.entities as { placeholder: string }[])
              expect(e.placeholder).toMatch(/^\[\[[A-Z]+_\d+\]\]$/);
          }
        }
        for (const value of lines.flatMap((l) => l.values))
          expect(out.includes(value), 'an original value was printed').toBe(false);
      }),
      fuzzParams(120),
    );
  });
});
