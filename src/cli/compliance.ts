import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { createAppContext, type AppContext } from '../app.ts';
import { checkCompliance, HTML_FILE, PDF_FILE, writeBundle } from '../compliance/bundle.ts';
import { configFacts } from '../compliance/facts.ts';
import { auditGeneration, complianceFacts, LANGUAGES, readPolicyFile } from '../compliance/generate.ts';
import { measuredFacts } from '../compliance/measured.ts';
import { htmlToPdf } from '../compliance/pdf.ts';
import type { Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import { loadConfigOrExit } from './config-check.ts';

/**
 * `draftbridge compliance`: the DPO's documents from the running policy and configuration, written to
 * --out as Markdown plus a manifest (and one printable HTML page or PDF). `--check` compares stored
 * documents with the running configuration and exits 1 naming every drift; it needs no Redis.
 */
interface ComplianceOptions {
  out: string;
  lang: 'de' | 'en' | 'both';
  format: 'md' | 'html' | 'pdf';
  check?: boolean;
}

export function registerCompliance(program: Command): void {
  program
    .command('compliance')
    .description(
      "write the DPO's documents (record of processing, DPIA draft, TOMs, deletion concept, processors, " +
        'Art. 13 text) from the running policy and configuration',
    )
    .option('--out <dir>', 'where the documents go (and where --check reads them)', 'compliance')
    .addOption(new Option('--lang <lang>', 'language').choices(['de', 'en', 'both']).default('both'))
    .addOption(
      new Option(
        '--format <format>',
        'besides the Markdown: one printable HTML page, or a PDF (headless Chromium)',
      )
        .choices(['md', 'html', 'pdf'])
        .default('md'),
    )
    .option(
      '--check',
      'exit 1 naming what drifted when the documents in --out no longer match the running policy and configuration',
    )
    .action(async (opts: ComplianceOptions) => {
      const { settings, policy } = await loadConfigOrExit();
      if (opts.check) process.exitCode = await checkStored(opts.out, settings, policy);
      else await generate(opts, settings, policy);
    });
}

async function checkStored(out: string, settings: Settings, policy: Policy): Promise<number> {
  const policyFile = await readPolicyFile(settings.DRAFTBRIDGE_POLICY);
  const result = await checkCompliance(out, configFacts(policy, settings, policyFile));
  if (result.ok) {
    console.log(`compliance documents in ${out} match the running policy and configuration`);
    return 0;
  }
  console.error(
    `compliance documents in ${out} are out of date:\n${result.drift.map((d) => `  - ${d}`).join('\n')}`,
  );
  console.error(`regenerate: draftbridge compliance --out ${out}`);
  return 1;
}

/** A context whose Redis answers, or a clear message and exit 1. */
async function readyContext(settings: Settings, policy: Policy): Promise<AppContext> {
  const ctx = createAppContext(settings, policy);
  try {
    await ctx.ready();
    return ctx;
  } catch {
    await ctx.close();
    // Generating reads the measured state and writes an audit event; --check needs neither.
    console.error(
      'draftbridge: Redis (REDIS_URL) does not answer: generating reads the last audit verification ' +
        'and sweep there and audits itself; start Redis, or use --check, which needs none',
    );
    process.exit(1);
  }
}

async function generate(opts: ComplianceOptions, settings: Settings, policy: Policy): Promise<void> {
  const policyFile = await readPolicyFile(settings.DRAFTBRIDGE_POLICY);
  const ctx = await readyContext(settings, policy);
  try {
    const measured = await measuredFacts({
      redis: ctx.redis,
      audit: ctx.audit,
      prefix: settings.DRAFTBRIDGE_QUEUE_PREFIX,
    });
    const facts = complianceFacts(policy, settings, policyFile, measured);
    const langs = LANGUAGES[opts.lang];
    const { bundle, written } = await writeBundle(opts.out, facts, langs, opts.format !== 'md');
    if (opts.format === 'pdf') {
      const pdf = await htmlToPdf(bundle.html, join(opts.out, PDF_FILE));
      if (pdf.ok) written.push(join(opts.out, PDF_FILE));
      else
        console.error(
          `draftbridge: no PDF: ${pdf.reason}; wrote ${join(opts.out, HTML_FILE)} instead (print it to PDF from a browser)`,
        );
    }
    await auditGeneration(ctx.audit, 'cli', facts, {
      documents: bundle.documents.length,
      languages: langs,
      format: opts.format,
    });
    console.log(`compliance documents (policy sha256 ${facts.config.policySha256.slice(0, 12)}…):`);
    for (const file of written) console.log(`  ${file}`);
  } finally {
    await ctx.close();
  }
}
