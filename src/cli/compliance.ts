import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { createAppContext } from '../app.ts';
import { checkCompliance, HTML_FILE, PDF_FILE, writeBundle } from '../compliance/bundle.ts';
import { configFacts } from '../compliance/facts.ts';
import { auditGeneration, complianceFacts, LANGUAGES, readPolicyFile } from '../compliance/generate.ts';
import { measuredFacts } from '../compliance/measured.ts';
import { htmlToPdf } from '../compliance/pdf.ts';
import { loadConfigOrExit } from './config-check.ts';

/**
 * `draftbridge compliance`: the DPO's documents from the running policy and configuration, written to
 * --out as Markdown plus a manifest (and one printable HTML page or PDF). `--check` compares stored
 * documents with the running configuration and exits 1 naming every drift; it needs no Redis.
 */
export function registerCompliance(program: Command): void {
  program
    .command('compliance')
    .description(
      "write the DPO's documents (record of processing, DPIA draft, TOMs, deletion concept, processors, Art. 13 text) from the running policy and configuration",
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
    .action(
      async (opts: {
        out: string;
        lang: 'de' | 'en' | 'both';
        format: 'md' | 'html' | 'pdf';
        check?: boolean;
      }) => {
        const { settings, policy } = await loadConfigOrExit();
        const policyFile = await readPolicyFile(settings.DRAFTBRIDGE_POLICY);
        if (opts.check) {
          const result = await checkCompliance(opts.out, configFacts(policy, settings, policyFile));
          if (result.ok)
            console.log(`compliance documents in ${opts.out} match the running policy and configuration`);
          else {
            console.error(
              `compliance documents in ${opts.out} are out of date:\n${result.drift.map((d) => `  - ${d}`).join('\n')}`,
            );
            console.error('regenerate: draftbridge compliance --out ' + opts.out);
            process.exitCode = 1;
          }
          return;
        }
        const ctx = createAppContext(settings, policy);
        try {
          await ctx.ready();
        } catch {
          await ctx.close();
          // Generating reads the measured state and writes an audit event; --check needs neither.
          console.error(
            'draftbridge: Redis (REDIS_URL) does not answer: generating reads the last audit verification ' +
              'and sweep there and audits itself; start Redis, or use --check, which needs none',
          );
          process.exit(1);
        }
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
          console.log(
            `compliance documents (policy sha256 ${facts.config.policySha256.slice(0, 12)}…):\n${written.map((f) => `  ${f}`).join('\n')}`,
          );
        } finally {
          await ctx.close();
        }
      },
    );
}
