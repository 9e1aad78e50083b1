#!/usr/bin/env node
import { Argument, Command, Option } from 'commander';
import { createAppContext, subjectRequestDeps } from './app.ts';
import { loadConfigOrExit } from './cli/config-check.ts';
import { runDemo } from './cli/demo.ts';
import { registerPseudonymise } from './cli/pseudonymise.ts';
import { prometheusConnectorMetrics } from './metrics.ts';
import { recordOfProcessing } from './privacy/ropa.ts';
import { serve, stopOnSignals, type ServeRole } from './cli/serve.ts';
import { defaultJobOptions, QUEUE_NAMES } from './pipeline/queues.ts';

/** The `draftbridge` command: serve, config check, demo, pseudonymise, audit verify, retention run, privacy, ropa, hubspot setup, bench. */
const program = new Command('draftbridge').description('privacy-first CRM → LLM → Outlook drafting middleware').showHelpAfterError();

program
  .command('serve')
  .description('run the HTTP API, the workers, or both in one process')
  .addArgument(new Argument('[role]', 'api | worker | all').choices(['api', 'worker', 'all']).default('all'))
  .action(async (role: ServeRole) => {
    const { settings, policy } = await loadConfigOrExit();
    const service = await serve(settings, policy, role);
    stopOnSignals(service);
  });

const config = program.command('config').description('configuration');
config
  .command('check')
  .description('validate environment and policy; exit non-zero naming every problem')
  .action(async () => {
    const { settings, policy } = await loadConfigOrExit();
    console.log(
      `configuration ok: policy ${settings.DRAFTBRIDGE_POLICY} (${Object.keys(policy.flows).length} flows, ${policy.triggers.length} triggers), ` +
        `sandbox ${settings.DRAFTBRIDGE_SANDBOX ? 'on' : 'off'}, public URL ${settings.publicUrl}`,
    );
  });

const audit = program.command('audit').description('the audit trail');
audit
  .command('verify')
  .description('check the hash chain; names the first broken link')
  .action(async () => {
    const { settings, policy } = await loadConfigOrExit();
    const ctx = createAppContext(settings, policy);
    await ctx.ready();
    try {
      const result = await ctx.audit.verify();
      if (result.ok) console.log(`audit chain ok: ${result.checked} events verified`);
      else {
        console.error(`audit chain BROKEN at ${result.brokenAt}: ${result.reason} (${result.checked} events verified before it)`);
        process.exitCode = 2;
      }
    } finally {
      await ctx.close();
    }
  });

program
  .command('retention')
  .description('retention')
  .command('run')
  .description('apply retention classes now (audit events past their class; jobs and vault expire by TTL)')
  .action(async () => {
    const { settings, policy } = await loadConfigOrExit();
    const ctx = createAppContext(settings, policy);
    await ctx.ready();
    try {
      const removed = await ctx.audit.trim(policy.retention.audit ?? 365 * 86_400_000);
      const cleaned: Record<string, number> = {};
      for (const name of QUEUE_NAMES) {
        // Same ages as the queues' own removeOnComplete/removeOnFail (intake keeps the dedupe window).
        const opts = defaultJobOptions(policy, name);
        const age = (o: unknown) => (typeof o === 'object' && o !== null && 'age' in o && typeof o.age === 'number' ? o.age : 0) * 1000;
        const done = await ctx.queues[name].clean(age(opts.removeOnComplete), 10_000, 'completed');
        const failed = await ctx.queues[name].clean(age(opts.removeOnFail), 10_000, 'failed');
        cleaned[name] = done.length + failed.length;
      }
      await ctx.audit.append({ type: 'retention.run', actor: 'cli', outcome: 'ok', details: { auditRemoved: removed, ...cleaned } });
      console.log(JSON.stringify({ auditEventsRemoved: removed, jobsRemoved: cleaned }));
    } finally {
      await ctx.close();
    }
  });

const privacy = program.command('privacy').description('data-subject requests (Art. 15, 17, 21 GDPR) by CRM contact id');
for (const [kind, description] of [
  ['access', 'print what draftbridge holds about the contact (requests, personal values, audit events) as JSON'],
  ['erase', 'delete every personal value held about the contact (the audit trail keeps only HMAC references)'],
  ['object', 'erase, put the contact on the suppression list and set the CRM opt-out: no draft is ever made again'],
] as const) {
  privacy
    .command(`${kind} <contactId>`)
    .description(description)
    .action(async (contactId: string) => {
      if (!/^\d+$/.test(contactId)) {
        console.error('draftbridge: the contact id is the CRM record id (digits)');
        process.exit(1);
      }
      const { settings, policy } = await loadConfigOrExit();
      const ctx = createAppContext(settings, policy);
      await ctx.ready();
      try {
        const dsr = await import('./privacy/subject-requests.ts');
        const crm = settings.HUBSPOT_ACCESS_TOKEN && !settings.DRAFTBRIDGE_SANDBOX ? (await import('../connectors/index.ts')).createPorts(settings, policy, prometheusConnectorMetrics).crm : undefined;
        const deps = subjectRequestDeps(ctx, crm);
        const result = kind === 'access' ? await dsr.accessRequest(deps, contactId) : kind === 'erase' ? await dsr.erasureRequest(deps, contactId) : await dsr.objectionRequest(deps, contactId);
        console.log(JSON.stringify(result, null, 2));
      } finally {
        await ctx.close();
      }
    });
}

program
  .command('ropa')
  .description('print the record of processing activities (Art. 30 GDPR) derived from the policy, as JSON')
  .action(async () => {
    const { settings, policy } = await loadConfigOrExit();
    console.log(JSON.stringify(recordOfProcessing(policy, settings), null, 2));
  });

// Needs no credentials: only the policy's special-category actions.
registerPseudonymise(program);

program
  .command('demo')
  .description('send a signed "callback requested" webhook to a running sandbox service and show where the draft landed')
  .option('--url <url>', 'the service base URL', process.env.DRAFTBRIDGE_PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`)
  .option('--contact <id>', 'sandbox contact: 1001 de, 1002 en, 1003 health note, 1004 blocked, 1005 opted out, 1006 new lead', '1001')
  .option('--timeout <seconds>', 'how long to wait for the draft', '30')
  .option('--reply <n>', 'then send the draft as the reviewer, answer it as the contact choosing offered slot n (1-3), and show the booked meeting')
  .action(async (opts: { url: string; contact: string; timeout: string; reply?: string }) => {
    process.exitCode = await runDemo({ url: opts.url, contact: opts.contact, secret: process.env.HUBSPOT_CLIENT_SECRET, timeoutMs: Number(opts.timeout) * 1000, reply: opts.reply === undefined ? undefined : Number(opts.reply), print: (l) => console.log(l) });
  });

program
  .command('hubspot')
  .description('HubSpot portal set-up')
  .command('setup')
  .description('create the draftbridge contact properties (status, last request, opt-out, callback flag); safe to run again')
  .action(async () => {
    const { settings, policy } = await loadConfigOrExit();
    const { HubSpotCrm } = await import('../connectors/hubspot/connector.ts');
    const { ensureCustomProperties } = await import('../connectors/hubspot/setup.ts');
    if (!settings.HUBSPOT_ACCESS_TOKEN) {
      console.error('draftbridge: HUBSPOT_ACCESS_TOKEN is required for hubspot setup');
      process.exit(1);
    }
    const crm = new HubSpotCrm({ accessToken: settings.HUBSPOT_ACCESS_TOKEN, basePath: settings.HUBSPOT_BASE_URL, requestsPer10s: policy.limits.hubspot.requestsPer10s });
    const { created, existing } = await ensureCustomProperties(crm.client);
    console.log(`hubspot setup: created ${created.join(', ') || 'nothing'}; already there: ${existing.join(', ') || 'nothing'}`);
  });

program
  .command('bench')
  .description('throughput of the whole pipeline in sandbox mode next to raw BullMQ and a bare Fastify route, in one run')
  .option('--json', 'print one JSON object instead of a table')
  .option('--requests <n>', 'callback requests to push through', '1000')
  .action(async (opts: { json?: boolean; requests: string }) => {
    const { settings, policy } = await loadConfigOrExit({ ...process.env, DRAFTBRIDGE_SANDBOX: '1' });
    const { runBench, formatBench } = await import('./bench/run.ts');
    const result = await runBench(settings, policy, { requests: Number(opts.requests) });
    console.log(opts.json ? JSON.stringify(result) : formatBench(result));
    process.exit(0);
  });

program.addOption(new Option('--no-color').hideHelp());

await program.parseAsync(process.argv);
