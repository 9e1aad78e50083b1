import { parsePolicy } from '../../src/policy.ts';
import { classifySensitive, decideSensitive } from '../../src/privacy/dlp.ts';
import { Pseudonymiser } from '../../src/privacy/pseudonymise.ts';
import { readFileSync } from 'node:fs';
import type { CorpusNote } from '../../test/privacy/corpus.ts';

/** Measures the privacy core on the labelled corpus: leaks per entity type, over-redaction, DLP, speed. */
export interface Evaluation {
  notes: number;
  perType: Record<string, { total: number; leaked: number }>;
  cleanNotes: number;
  cleanTouched: number;
  categories: Record<string, { total: number; found: number }>;
  falseBlocks: number;
  notesWithoutCategory: number;
  /** Notes whose output has a placeholder glued to letters ("[[PERSON_1]]ski"). */
  glued: number;
  p50Ms: number;
  p95Ms: number;
  /** Per note, each with its own Pseudonymiser (set-up included). */
  mbPerSecond: number;
  /** One long text through one Pseudonymiser and the classifier: the scanning rate per CPU second. */
  bulkMbPerSecond: number;
}

const policy = parsePolicy(readFileSync(new URL('../../config/policy.yaml', import.meta.url), 'utf8'));
const digits = (s: string) => s.replace(/\D/g, '');
const GLUED = /[\p{L}\p{M}]\[\[[A-Z]+_\d+\]\]|\[\[[A-Z]+_\d+\]\][\p{L}\p{M}]/u;

/** Name particles that are not a name on their own ("De Luca", "Al-Masri", "Mac Giolla", "Ní Bhriain"). */
const PARTICLES = new Set([
  'de',
  'di',
  'da',
  'del',
  'della',
  'van',
  'von',
  'der',
  'le',
  'la',
  'al',
  'el',
  'mac',
  'mc',
  'ní',
  'nic',
  'ó',
  'o',
  'bin',
  'ibn',
]);

export function leaked(entity: { type: string; value: string }, rawOutput: string): boolean {
  const output = rawOutput.normalize('NFC');
  const value = entity.value.normalize('NFC');
  if (['PHONE', 'IBAN', 'CARD', 'TAXID', 'SSN'].includes(entity.type)) {
    const d = digits(entity.type === 'IBAN' ? value.slice(2) : value);
    // The significant part: a phone's trailing 6 digits, or the whole number otherwise.
    const needle = entity.type === 'PHONE' ? d.slice(-6) : d;
    return digits(output).includes(needle);
  }
  if (entity.type === 'IDDOC')
    return output.toUpperCase().replace(/\s/g, '').includes(value.toUpperCase().replace(/\s/g, ''));
  // A name leaks when any part of it is still there ("Lüdenscheidt" of "Müller-Lüdenscheidt").
  const parts = entity.type.startsWith('PERSON')
    ? value.split(/[-\s]+/).filter((p) => p.length >= 2 && !PARTICLES.has(p.toLowerCase()))
    : [value];
  return parts.some((part) => {
    const escaped = part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return new RegExp(`(?<![\\p{L}\\p{M}\\d])${escaped}(?![\\p{L}\\p{M}\\d])`, 'iu').test(output);
  });
}

export function evaluate(corpus: CorpusNote[]): Evaluation {
  const perType: Evaluation['perType'] = {};
  const categories: Evaluation['categories'] = {};
  const times: number[] = [];
  let bytes = 0;
  let cleanNotes = 0;
  let cleanTouched = 0;
  let falseBlocks = 0;
  let notesWithoutCategory = 0;
  let glued = 0;
  // Warm-up so JIT compilation is not measured as note latency.
  for (const n of corpus.slice(0, 50)) new Pseudonymiser(n.contact ?? {}).pseudonymise(n.text);
  let totalMs = 0;
  for (const note of corpus) {
    // CPU time (see the bulk figure below): a busy shared machine does not count as note latency.
    const c0 = process.cpuUsage();
    const ps = new Pseudonymiser(note.contact ?? {}, { lang: note.lang });
    const out = ps.pseudonymise(note.text);
    const found = classifySensitive(note.text, note.lang);
    const used = process.cpuUsage(c0);
    const ms = (used.user + used.system) / 1000;
    times.push(ms);
    totalMs += ms;
    bytes += Buffer.byteLength(note.text);
    if (GLUED.test(out)) glued++;
    for (const e of note.entities) {
      const bucket = (perType[e.type] ??= { total: 0, leaked: 0 });
      bucket.total++;
      if (leaked(e, out)) bucket.leaked++;
    }
    if (note.clean) {
      cleanNotes++;
      // Replacing the contact's own company (a CRM value) is by design: put it back before comparing.
      const mapping = ps.mapping();
      const restored = out.replace(/\[\[COMPANY_\d+\]\]/g, (p) => mapping[p] ?? p);
      if (restored !== note.text) cleanTouched++;
    }
    for (const c of note.categories) {
      const bucket = (categories[c] ??= { total: 0, found: 0 });
      bucket.total++;
      if (found.categories.includes(c as never)) bucket.found++;
    }
    if (note.categories.length === 0) {
      notesWithoutCategory++;
      if (decideSensitive(found.categories, policy).action === 'block') falseBlocks++;
    }
  }
  times.sort((a, b) => a - b);
  const big = corpus.map((n) => n.text).join('\n');
  let bestBulkMs = Infinity;
  // CPU time of this process, not wall time: on a shared machine the wall clock also counts the time
  // other processes had the core, and "per core" is what the figure claims.
  // Steady state: the best of ten runs, so one-off JIT compilation and GC pauses are not the figure.
  for (let r = 0; r < 10; r++) {
    const c0 = process.cpuUsage();
    new Pseudonymiser(corpus[0]?.contact ?? {}).pseudonymise(big);
    classifySensitive(big);
    const used = process.cpuUsage(c0);
    bestBulkMs = Math.min(bestBulkMs, (used.user + used.system) / 1000);
  }
  return {
    notes: corpus.length,
    perType,
    cleanNotes,
    cleanTouched,
    categories,
    falseBlocks,
    notesWithoutCategory,
    glued,
    p50Ms: times[Math.floor(times.length * 0.5)]!,
    p95Ms: times[Math.floor(times.length * 0.95)]!,
    mbPerSecond: bytes / 1e6 / (totalMs / 1000),
    bulkMbPerSecond: Buffer.byteLength(big) / 1e6 / (bestBulkMs / 1000),
  };
}

/** The targets of the privacy issue; returns the ones missed. */
export function missedTargets(e: Evaluation, options: { timing: boolean }): string[] {
  const missed: string[] = [];
  const rate = (t: string) => (e.perType[t] ? 1 - e.perType[t]!.leaked / e.perType[t]!.total : 1);
  for (const t of ['EMAIL', 'IBAN', 'CARD', 'TAXID', 'SSN', 'PERSON'])
    if ((e.perType[t]?.leaked ?? 0) > 0) missed.push(`${t}: ${e.perType[t]!.leaked} leaked (target 0)`);
  if (rate('PHONE') < 0.97) missed.push(`PHONE caught ${(rate('PHONE') * 100).toFixed(1)}% (target ≥ 97%)`);
  if (rate('PERSON_UNKNOWN_HONORIFIC') < 0.98)
    missed.push(
      `unknown names with honorific caught ${(rate('PERSON_UNKNOWN_HONORIFIC') * 100).toFixed(1)}% (target ≥ 98%)`,
    );
  if (rate('PERSON_UNKNOWN') < 0.9)
    missed.push(
      `unknown names without honorific caught ${(rate('PERSON_UNKNOWN') * 100).toFixed(1)}% (target ≥ 90%)`,
    );
  for (const t of ['DOB', 'ADDRESS', 'IP', 'URL'])
    if (rate(t) < 0.95) missed.push(`${t} caught ${(rate(t) * 100).toFixed(1)}% (target ≥ 95%)`);
  const total = Object.values(e.categories).reduce((s, c) => s + c.total, 0);
  const found = Object.values(e.categories).reduce((s, c) => s + c.found, 0);
  if (found / total < 0.95)
    missed.push(`special-category recall ${((found / total) * 100).toFixed(1)}% (target ≥ 95%)`);
  if (e.falseBlocks / e.notesWithoutCategory > 0.05)
    missed.push(`false blocks ${((e.falseBlocks / e.notesWithoutCategory) * 100).toFixed(1)}% (target ≤ 5%)`);
  if (e.cleanTouched / e.cleanNotes > 0.02)
    missed.push(`clean notes touched ${((e.cleanTouched / e.cleanNotes) * 100).toFixed(1)}% (target ≤ 2%)`);
  if (options.timing && e.p95Ms >= 20) missed.push(`p95 ${e.p95Ms.toFixed(2)} ms (target < 20 ms)`);
  if (options.timing && e.bulkMbPerSecond < 5)
    missed.push(`throughput ${e.bulkMbPerSecond.toFixed(2)} MB/s (target ≥ 5 MB/s)`);
  return missed;
}

/** The targets on the held-out set (issue 8); returns the ones missed. */
export function missedHeldOutTargets(e: Evaluation, options: { timing: boolean }): string[] {
  const missed: string[] = [];
  const rate = (t: string) => (e.perType[t] ? 1 - e.perType[t]!.leaked / e.perType[t]!.total : 1);
  for (const t of ['EMAIL', 'PHONE', 'IBAN', 'CARD', 'TAXID', 'PERSON'])
    if ((e.perType[t]?.leaked ?? 0) > 0) missed.push(`${t}: ${e.perType[t]!.leaked} leaked (target 0)`);
  if (rate('PERSON_UNKNOWN') < 0.95)
    missed.push(`unknown names caught ${(rate('PERSON_UNKNOWN') * 100).toFixed(1)}% (target ≥ 95%)`);
  for (const t of ['SSN', 'IDDOC', 'DOB'])
    if (rate(t) < 0.95) missed.push(`${t} caught ${(rate(t) * 100).toFixed(1)}% (target ≥ 95%)`);
  const total = Object.values(e.categories).reduce((s, c) => s + c.total, 0);
  const found = Object.values(e.categories).reduce((s, c) => s + c.found, 0);
  if (found / total < 0.9)
    missed.push(`special-category recall ${((found / total) * 100).toFixed(1)}% (target ≥ 90%)`);
  if (e.falseBlocks / e.notesWithoutCategory > 0.03)
    missed.push(`false blocks ${((e.falseBlocks / e.notesWithoutCategory) * 100).toFixed(1)}% (target ≤ 3%)`);
  if (e.cleanTouched / e.cleanNotes > 0.05)
    missed.push(`clean notes touched ${((e.cleanTouched / e.cleanNotes) * 100).toFixed(1)}% (target ≤ 5%)`);
  if (options.timing && e.p95Ms >= 20) missed.push(`p95 ${e.p95Ms.toFixed(2)} ms (target < 20 ms)`);
  if (options.timing && e.bulkMbPerSecond < 5)
    missed.push(`throughput ${e.bulkMbPerSecond.toFixed(2)} MB/s (target ≥ 5 MB/s)`);
  return missed;
}

/**
 * The targets of issue 28, on every set: unknown names leak at most 2 %, known names and identifiers
 * never, every special category at least 95 %, clean notes changed at most 2 %, no glued placeholder.
 */
export function missedIssue28Targets(e: Evaluation): string[] {
  const missed: string[] = [];
  const unknown = Object.entries(e.perType).filter(([t]) => t.startsWith('PERSON_UNKNOWN'));
  const total = unknown.reduce((s, [, v]) => s + v.total, 0);
  const leakedNames = unknown.reduce((s, [, v]) => s + v.leaked, 0);
  if (total > 0 && leakedNames / total > 0.02)
    missed.push(`unknown names leaked ${((leakedNames / total) * 100).toFixed(1)}% (target ≤ 2%)`);
  for (const t of ['PERSON', 'EMAIL', 'PHONE', 'IBAN', 'CARD', 'TAXID', 'DOB', 'ADDRESS']) {
    if ((e.perType[t]?.leaked ?? 0) > 0) missed.push(`${t}: ${e.perType[t]!.leaked} leaked (target 0)`);
  }
  for (const [c, v] of Object.entries(e.categories))
    if (v.found / v.total < 0.95)
      missed.push(`special ${c} ${((v.found / v.total) * 100).toFixed(1)}% (target ≥ 95%)`);
  if (e.cleanTouched / e.cleanNotes > 0.02)
    missed.push(`clean notes touched ${((e.cleanTouched / e.cleanNotes) * 100).toFixed(1)}% (target ≤ 2%)`);
  if (e.glued > 0) missed.push(`${e.glued} notes with a placeholder glued to letters (target 0)`);
  return missed;
}

export function formatEvaluation(e: Evaluation, title = 'dev'): string {
  const lines = [
    `privacy evaluation (${title}) on ${e.notes} invented CRM notes (de/en)`,
    '',
    '| entity type | values | leaked | caught |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const [t, v] of Object.entries(e.perType).sort())
    lines.push(
      `| ${t} | ${v.total} | ${v.leaked} | ${(((v.total - v.leaked) / v.total) * 100).toFixed(1)}% |`,
    );
  lines.push('', '| special category | notes | found | recall |', '| --- | ---: | ---: | ---: |');
  for (const [c, v] of Object.entries(e.categories).sort())
    lines.push(`| ${c} | ${v.total} | ${v.found} | ${((v.found / v.total) * 100).toFixed(1)}% |`);
  lines.push(
    '',
    `clean notes touched: ${e.cleanTouched}/${e.cleanNotes} (${((e.cleanTouched / e.cleanNotes) * 100).toFixed(1)}%)`,
  );
  lines.push(
    `false blocks (notes without special category): ${e.falseBlocks}/${e.notesWithoutCategory} (${((e.falseBlocks / e.notesWithoutCategory) * 100).toFixed(1)}%)`,
  );
  lines.push(`notes with a placeholder glued to letters: ${e.glued}`);
  lines.push(
    `per note (new pseudonymiser + pseudonymise + classify, CPU time): p50 ${e.p50Ms.toFixed(3)} ms, p95 ${e.p95Ms.toFixed(3)} ms, ${e.mbPerSecond.toFixed(2)} MB/s`,
  );
  lines.push(
    `bulk scan (one pseudonymiser, all notes as one text): ${e.bulkMbPerSecond.toFixed(2)} MB/s per CPU second (one core)`,
  );
  return lines.join('\n');
}
