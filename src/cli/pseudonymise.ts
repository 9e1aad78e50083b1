import { errorMessage } from '../errors.ts';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { z } from 'zod';
import { Language, loadPolicy, type Policy } from '../policy.ts';
import { issuePath } from '../issue-path.ts';
import { loadSettings } from '../settings.ts';
import { classifySensitive, decideSensitive } from '../privacy/dlp.ts';
import { Pseudonymiser } from '../privacy/pseudonymise.ts';

/**
 * `draftbridge pseudonymise`: JSON Lines in, JSON Lines out. One line per input line, in
 * order; a bad line gets `{"error": …}` and the stream goes on. Never prints an original value.
 */
export const PseudonymiseInput = z.object({
  text: z.string(),
  contact: z.record(z.string(), z.union([z.string(), z.null()])).optional(),
  lang: Language.optional(),
});

export interface PseudonymiseOutput {
  text: string;
  entities: { type: string; placeholder: string }[];
  categories: string[];
  blocked: boolean;
}

export function pseudonymiseLine(
  line: string,
  policy: Pick<Policy, 'sensitive'>,
): PseudonymiseOutput | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { error: 'not valid JSON' };
  }
  const parsed = PseudonymiseInput.safeParse(json);
  if (!parsed.success)
    return { error: parsed.error.issues.map((i) => `${issuePath(i.path)}: ${i.message}`).join('; ') };
  const { text, contact, lang } = parsed.data;
  const ps = new Pseudonymiser(contact ?? {}, { lang: lang ?? 'de' });
  const out = ps.pseudonymise(text);
  const used = new Set(out.match(/\[\[[A-Z]+_\d+\]\]/g) ?? []);
  const entities = ps.entities().filter((e) => used.has(e.placeholder));
  const { categories } = classifySensitive(text, lang);
  return { text: out, entities, categories, blocked: decideSensitive(categories, policy).action === 'block' };
}

export async function runPseudonymise(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  policy: Pick<Policy, 'sensitive'>,
): Promise<number> {
  let n = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    n++;
    const result = pseudonymiseLine(line, policy);
    if (
      !output.write(
        `${JSON.stringify('error' in result ? { error: `line ${n}: ${result.error}` } : result)}\n`,
      )
    ) {
      await new Promise((r) => output.once('drain', r));
    }
  }
  return n;
}

/**
 * Adds `pseudonymise` to the `draftbridge` program. It needs no credentials: settings load with
 * sandbox defaults (only DRAFTBRIDGE_POLICY matters here). `io` lets tests drive it without a process.
 */
export function registerPseudonymise(
  program: Command,
  io: {
    stdin: NodeJS.ReadableStream;
    stdout: NodeJS.WritableStream;
    stderr: NodeJS.WritableStream;
    env: NodeJS.ProcessEnv;
  } = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
): void {
  program
    .command('pseudonymise')
    .description(
      'JSON Lines on stdin ({"text", "contact"?, "lang"?}) → pseudonymised JSON Lines on stdout; never prints an original value',
    )
    .action(async () => {
      let policy: Policy;
      try {
        // Only the policy path matters here; the rest of the environment (credentials) is not needed.
        const settings = loadSettings({
          DRAFTBRIDGE_SANDBOX: '1',
          DRAFTBRIDGE_POLICY: io.env.DRAFTBRIDGE_POLICY,
        });
        policy = await loadPolicy(settings.DRAFTBRIDGE_POLICY);
      } catch (err) {
        // Settings and policy messages name variables and files, never a personal value.
        io.stderr.write(`draftbridge: ${errorMessage(err)}\n`);
        process.exitCode = 1;
        return;
      }
      await runPseudonymise(io.stdin, io.stdout, policy);
    });
}
