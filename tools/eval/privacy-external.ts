import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { pseudonymiseLine } from '../../src/cli/pseudonymise.ts';
import { parsePolicy } from '../../src/policy.ts';

/**
 * The external privacy set (`../shared/eval/privacy-external.jsonl` beside the repository): notes
 * written independently of this project, scored exactly as that set's README says. It is read only
 * to measure; nothing in it feeds the detectors.
 */
export const EXTERNAL_SET = fileURLToPath(
  new URL('../../../shared/eval/privacy-external.jsonl', import.meta.url),
);

const ExternalSpan = z.object({
  type: z.string(),
  value: z.string(),
  start: z.number(),
  end: z.number(),
  known: z.boolean().optional(),
  tokens: z.array(z.string()).optional(),
  street: z.string().optional(),
});

const ExternalNote = z.object({
  id: z.string(),
  kind: z.enum(['pii', 'special', 'clean']),
  lang: z.enum(['de', 'en']),
  category: z.string().nullable().optional(),
  input: z.object({ text: z.string() }).passthrough(),
  spans: z.array(ExternalSpan).default([]),
});
export type ExternalNote = z.infer<typeof ExternalNote>;

/** The set's category names → the policy's. */
const CATEGORY_ALIASES: Record<string, string> = {
  political_opinion: 'political',
  sexual_orientation: 'sex_life',
};
const STRICT_TYPES = ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'TAXID', 'DOB', 'ADDRESS'];
const PLACEHOLDER = /\[\[[A-Z]+_\d+\]\]/g;
const GLUED = /[\p{L}\p{M}]\[\[[A-Z]+_\d+\]\]|\[\[[A-Z]+_\d+\]\][\p{L}\p{M}]/u;

export interface ExternalEvaluation {
  notes: number;
  unknownNames: { total: number; leaked: number };
  knownNames: { total: number; leaked: number };
  perType: Record<string, { total: number; leaked: number }>;
  categories: Record<string, { total: number; found: number }>;
  cleanNotes: number;
  cleanChanged: number;
  glued: number;
  p95Ms: number;
  bulkMbPerSecond: number;
}

export function loadExternal(path = EXTERNAL_SET): ExternalNote[] | undefined {
  if (!existsSync(path)) return undefined;
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  return lines.map((l) => ExternalNote.parse(JSON.parse(l)));
}

const squash = (s: string) =>
  s
    .normalize('NFC')
    .replace(PLACEHOLDER, '#')
    .replace(/[\s./()\-+_:]/g, '')
    .toLowerCase();
const onlyDigits = (s: string) => s.replace(PLACEHOLDER, '#').replace(/[^\d#]/g, '');
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const wholeWord = (word: string, text: string) =>
  new RegExp(`(?<![\\p{L}\\p{M}\\p{N}])${escape(word.normalize('NFC'))}(?![\\p{L}\\p{M}\\p{N}])`, 'iu').test(
    text.normalize('NFC'),
  );

/** Whether a labelled span survives in the output, by the README's rule for its type. */
export function externalLeak(span: z.infer<typeof ExternalSpan>, output: string): boolean {
  switch (span.type) {
    case 'PERSON':
      return (span.tokens ?? [span.value]).some((t) => wholeWord(t, output));
    case 'EMAIL':
    case 'PHONE':
    case 'IBAN':
    case 'CARD':
    case 'TAXID': {
      if (squash(output).includes(squash(span.value))) return true;
      const d = span.value.replace(/\D/g, '');
      return d.length >= 6 && onlyDigits(output).includes(d);
    }
    case 'DOB': {
      if (output.includes(span.value)) return true;
      const d = span.value.replace(/\D/g, '');
      return d.length >= 8 && onlyDigits(output).includes(d);
    }
    case 'ADDRESS':
      return squash(output).includes(squash(span.street ?? span.value));
    default:
      return output.includes(span.value);
  }
}

const policy = parsePolicy(readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8'));

function run(note: ExternalNote): { text: string; categories: string[]; blocked: boolean } {
  const result = pseudonymiseLine(JSON.stringify(note.input), policy);
  if ('error' in result) throw new Error(`${note.id}: ${result.error}`);
  return result;
}

export function evaluateExternal(notes: ExternalNote[]): ExternalEvaluation {
  const e: ExternalEvaluation = {
    notes: notes.length,
    unknownNames: { total: 0, leaked: 0 },
    knownNames: { total: 0, leaked: 0 },
    perType: {},
    categories: {},
    cleanNotes: 0,
    cleanChanged: 0,
    glued: 0,
    p95Ms: 0,
    bulkMbPerSecond: 0,
  };
  for (const n of notes.slice(0, 50)) run(n); // warm-up: JIT compilation is not note latency
  const times: number[] = [];
  for (const note of notes) {
    const c0 = process.cpuUsage();
    const out = run(note);
    const used = process.cpuUsage(c0);
    times.push((used.user + used.system) / 1000);
    if (GLUED.test(out.text)) e.glued++;
    for (const span of note.spans) {
      const leak = externalLeak(span, out.text);
      const bucket =
        span.type === 'PERSON'
          ? span.known
            ? e.knownNames
            : e.unknownNames
          : (e.perType[span.type] ??= { total: 0, leaked: 0 });
      bucket.total++;
      if (leak) bucket.leaked++;
    }
    if (note.kind === 'special' && note.category) {
      const bucket = (e.categories[note.category] ??= { total: 0, found: 0 });
      bucket.total++;
      if (out.blocked || out.categories.includes(CATEGORY_ALIASES[note.category] ?? note.category))
        bucket.found++;
    }
    if (note.kind === 'clean') {
      e.cleanNotes++;
      if ((out.text.match(PLACEHOLDER) ?? []).some((p) => !p.startsWith('[[COMPANY_'))) e.cleanChanged++;
    }
  }
  times.sort((a, b) => a - b);
  e.p95Ms = times[Math.floor(times.length * 0.95)] ?? 0;
  e.bulkMbPerSecond = bulkRate(notes.map((n) => n.input.text).join('\n'));
  return e;
}

/** One long text through one line of the CLI: the best of five runs, in CPU time (one core). */
function bulkRate(big: string): number {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    run({ id: 'bulk', kind: 'clean', lang: 'de', input: { text: big }, spans: [] });
    const used = process.cpuUsage(c0);
    best = Math.min(best, (used.user + used.system) / 1000);
  }
  return Buffer.byteLength(big) / 1e6 / (best / 1000);
}

const pct = (a: number, b: number) => (b === 0 ? '–' : `${((a / b) * 100).toFixed(1)}%`);

export function formatExternal(e: ExternalEvaluation): string {
  const lines = [`privacy evaluation (external) on ${e.notes} independently written CRM notes (de/en)`, ''];
  lines.push('| measure | values | leaked / missed | rate |', '| --- | ---: | ---: | ---: |');
  lines.push(
    `| unknown names | ${e.unknownNames.total} | ${e.unknownNames.leaked} | ${pct(e.unknownNames.leaked, e.unknownNames.total)} leak |`,
  );
  lines.push(
    `| known names | ${e.knownNames.total} | ${e.knownNames.leaked} | ${pct(e.knownNames.leaked, e.knownNames.total)} leak |`,
  );
  for (const [t, v] of Object.entries(e.perType).sort())
    lines.push(`| ${t} | ${v.total} | ${v.leaked} | ${pct(v.leaked, v.total)} leak |`);
  for (const [c, v] of Object.entries(e.categories).sort())
    lines.push(`| special: ${c} | ${v.total} | ${v.total - v.found} | ${pct(v.found, v.total)} caught |`);
  lines.push(
    `| clean notes changed | ${e.cleanNotes} | ${e.cleanChanged} | ${pct(e.cleanChanged, e.cleanNotes)} |`,
  );
  lines.push(`| notes with a glued placeholder | ${e.notes} | ${e.glued} | ${pct(e.glued, e.notes)} |`);
  lines.push('', `per note (the CLI's line function, CPU time): p95 ${e.p95Ms.toFixed(3)} ms`);
  lines.push(
    `bulk scan (all notes as one text): ${e.bulkMbPerSecond.toFixed(2)} MB/s per CPU second (one core)`,
  );
  return lines.join('\n');
}

/** The targets of issue 28 on the external set; returns the ones missed. */
export function missedExternalTargets(e: ExternalEvaluation, options: { timing: boolean }): string[] {
  const missed: string[] = [];
  if (e.unknownNames.leaked / Math.max(1, e.unknownNames.total) > 0.02)
    missed.push(`unknown names leaked ${pct(e.unknownNames.leaked, e.unknownNames.total)} (target ≤ 2%)`);
  if (e.knownNames.leaked > 0) missed.push(`known names: ${e.knownNames.leaked} leaked (target 0)`);
  for (const t of STRICT_TYPES)
    if ((e.perType[t]?.leaked ?? 0) > 0) missed.push(`${t}: ${e.perType[t]!.leaked} leaked (target 0)`);
  for (const [c, v] of Object.entries(e.categories))
    if (v.found / v.total < 0.95) missed.push(`special ${c} caught ${pct(v.found, v.total)} (target ≥ 95%)`);
  if (e.cleanChanged / Math.max(1, e.cleanNotes) > 0.02)
    missed.push(`clean notes changed ${pct(e.cleanChanged, e.cleanNotes)} (target ≤ 2%)`);
  if (e.glued > 0) missed.push(`${e.glued} notes with a placeholder glued to letters (target 0)`);
  if (options.timing && e.p95Ms >= 20) missed.push(`p95 ${e.p95Ms.toFixed(2)} ms (target < 20 ms)`);
  if (options.timing && e.bulkMbPerSecond < 5)
    missed.push(`throughput ${e.bulkMbPerSecond.toFixed(2)} MB/s (target ≥ 5 MB/s)`);
  return missed;
}
