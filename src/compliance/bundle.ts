import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { complianceDocuments, type Lang } from './documents/index.ts';
import type { ComplianceFacts, ConfigFacts, MeasuredFacts } from './facts.ts';
import { toHtml, toMarkdown, type ComplianceDocument } from './render.ts';

/**
 * The stored form of the documents: one Markdown file per document and language, and
 * `compliance.json`, the manifest with the facts they were generated from. `checkCompliance`
 * regenerates them from the running configuration (with the stored date and measured state) and names
 * every fact and file that no longer matches.
 */

export const MANIFEST = 'compliance.json';
export const HTML_FILE = 'draftbridge-compliance.html';
export const PDF_FILE = 'draftbridge-compliance.pdf';

const Manifest = z.object({
  generator: z.literal('draftbridge compliance'),
  generatedAt: z.string(),
  languages: z.array(z.enum(['de', 'en'])).min(1),
  config: z.record(z.string(), z.unknown()),
  measured: z.record(z.string(), z.unknown()),
  files: z.record(z.string(), z.string()),
});

export interface RenderedBundle {
  documents: ComplianceDocument[];
  /** File name → Markdown text. */
  markdown: Map<string, string>;
  html: string;
}

export const fileName = (doc: ComplianceDocument) => `${doc.id}.${doc.lang}.md`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function renderBundle(facts: ComplianceFacts, langs: readonly Lang[]): RenderedBundle {
  const documents = complianceDocuments(facts, langs);
  const markdown = new Map(documents.map((d) => [fileName(d), toMarkdown(d)]));
  return { documents, markdown, html: toHtml(documents, 'draftbridge: data-protection documents') };
}

/** Writes the Markdown files, the manifest and (for html and pdf) the printable page; returns the paths. */
export async function writeBundle(
  dir: string,
  facts: ComplianceFacts,
  langs: readonly Lang[],
  withHtml: boolean,
): Promise<{ bundle: RenderedBundle; written: string[] }> {
  const bundle = renderBundle(facts, langs);
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of bundle.markdown) {
    await writeFile(join(dir, name), text);
    written.push(join(dir, name));
  }
  const manifest = {
    generator: 'draftbridge compliance',
    generatedAt: facts.generatedAt,
    languages: [...langs],
    config: facts.config,
    measured: facts.measured,
    files: Object.fromEntries([...bundle.markdown].map(([name, text]) => [name, sha256(text)])),
  };
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  written.push(join(dir, MANIFEST));
  if (withHtml) {
    await writeFile(join(dir, HTML_FILE), bundle.html);
    written.push(join(dir, HTML_FILE));
  }
  return { bundle, written };
}

export interface CheckResult {
  ok: boolean;
  /** One line per drifted fact or file, naming it. */
  drift: string[];
}

/** Compares the documents stored in `dir` with what the running configuration produces now. */
export async function checkCompliance(dir: string, current: ConfigFacts): Promise<CheckResult> {
  let raw: string;
  try {
    raw = await readFile(join(dir, MANIFEST), 'utf8');
  } catch {
    return {
      ok: false,
      drift: [
        `${join(dir, MANIFEST)} is missing: generate the documents with draftbridge compliance --out ${dir}`,
      ],
    };
  }
  const parsed = Manifest.safeParse(JSON.parse(raw));
  if (!parsed.success)
    return { ok: false, drift: [`${join(dir, MANIFEST)} is not a draftbridge compliance manifest`] };
  const stored = parsed.data;
  const drift = diffFacts(stored.config, current as unknown as Record<string, unknown>).map(
    (d) => `configuration changed: ${d}`,
  );
  const facts: ComplianceFacts = {
    generatedAt: stored.generatedAt,
    config: current,
    measured: stored.measured as unknown as MeasuredFacts,
  };
  const expected = renderBundle(facts, stored.languages).markdown;
  // Same facts, different text: the generator itself changed (a newer draftbridge).
  const outdated =
    drift.length > 0
      ? 'no longer matches the running policy and configuration'
      : 'differs from what this draftbridge version generates';
  for (const [name, text] of expected) {
    const onDisk = await readFile(join(dir, name), 'utf8').catch(() => undefined);
    if (onDisk === undefined) drift.push(`${name}: missing`);
    else if (onDisk !== text)
      drift.push(
        `${name}: ${sha256(onDisk) === stored.files[name] ? outdated : 'changed since it was generated'}`,
      );
  }
  return { ok: drift.length === 0, drift };
}

// ---- fact diff: paths like `retention.request` or `llmRoutes.eu.region.label` ----

/** Arrays of named things (flows, routes) compare by name, not position. */
function keyed(value: unknown): unknown {
  if (
    !Array.isArray(value) ||
    !value.every((v) => v && typeof v === 'object' && ('route' in v || 'name' in v))
  )
    return value;
  return Object.fromEntries(value.map((v: Record<string, unknown>) => [String(v.route ?? v.name), v]));
}

function show(path: string, value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'number' && (path.startsWith('retention.') || /Ms$/.test(path)))
    return formatMs(value);
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function formatMs(ms: number): string {
  for (const [size, unit] of [
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
    [1000, 's'],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

export function diffFacts(before: unknown, after: unknown, path = ''): string[] {
  const a = keyed(before);
  const b = keyed(after);
  const isObject = (v: unknown): v is Record<string, unknown> =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => diffFacts(a[k], b[k], path ? `${path}.${k}` : k));
  }
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  return [`${path}: ${show(path, a)} → ${show(path, b)}`];
}
