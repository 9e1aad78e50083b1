import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Policy } from '../policy.ts';
import { classifySensitive, decideSensitive } from '../privacy/dlp.ts';
import { Pseudonymiser } from '../privacy/pseudonymise.ts';

/**
 * `draftbridge pseudonymise`: JSON Lines in, JSON Lines out (DESIGN.md). One line per input line, in
 * order; a bad line gets `{"error": …}` and the stream goes on. Never prints an original value.
 */
export const PseudonymiseInput = z.object({
  text: z.string(),
  contact: z.record(z.string(), z.union([z.string(), z.null()])).optional(),
  lang: z.enum(['de', 'en']).optional(),
});

export interface PseudonymiseOutput {
  text: string;
  entities: { type: string; placeholder: string }[];
  categories: string[];
  blocked: boolean;
}

export function pseudonymiseLine(line: string, policy: Pick<Policy, 'sensitive'>): PseudonymiseOutput | { error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { error: 'not valid JSON' };
  }
  const parsed = PseudonymiseInput.safeParse(json);
  if (!parsed.success) return { error: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  const { text, contact, lang } = parsed.data;
  const ps = new Pseudonymiser(contact ?? {}, { lang: lang ?? 'de' });
  const out = ps.pseudonymise(text);
  const used = new Set(out.match(/\[\[[A-Z]+_\d+\]\]/g) ?? []);
  const entities = ps.entities().filter((e) => used.has(e.placeholder));
  const { categories } = classifySensitive(text, lang);
  return { text: out, entities, categories, blocked: decideSensitive(categories, policy).action === 'block' };
}

export async function runPseudonymise(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, policy: Pick<Policy, 'sensitive'>): Promise<number> {
  let n = 0;
  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    n++;
    const result = pseudonymiseLine(line, policy);
    if (!output.write(`${JSON.stringify('error' in result ? { error: `line ${n}: ${result.error}` } : result)}\n`)) {
      await new Promise((r) => output.once('drain', r));
    }
  }
  return n;
}
