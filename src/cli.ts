#!/usr/bin/env node
import { Argument, Command, Option } from 'commander';
import { createAppContext, subjectRequestDeps } from './app.ts';
import { loadConfigOrExit } from './cli/config-check.ts';
import { runDemo } from './cli/demo.ts';
import { registerPseudonymise } from './cli/pseudonymise.ts';
import { registerCompliance } from './cli/compliance.ts';
import { registerScheduling } from './cli/scheduling.ts';
import { prometheusConnectorMetrics } from './metrics.ts';
import { recordOfProcessing } from './privacy/ropa.ts';
import type { ServeRole } from './cli/serve.ts';
import { startTracing } from './telemetry.ts';

/** The `draftbridge` command: serve, config check, demo, pseudonymise, audit verify, retention run, privacy, ropa, compliance, hubspot setup, bench. */
const program = new Command('draftbridge')
  .description('privacy-first CRM → LLM → Outlook drafting middleware')
  .showHelpAfterError();

program
  .command('serve')
  .description('run the HTTP API, the workers, or both in one process')
  .addArgument(new Argument('[role]', 'api | worker | all').choices(['api', 'worker', 'all']).default('all'))
  .action(async (role: ServeRole) => {
    const { settings, policy } = await loadConfigOrExit();
    // Tracing (OTEL_* variables) must be on before the connectors load, so their HTTP clients are seen.
    const tracing = await startTracing();
    const { serve, stopOnSignals } = await import('./cli/serve.ts');
    const service = await serve(settings, policy, role);
    stopOnSignals(
      tracing
        ? {
            ...service,
            stop: async () => {
              await service.stop();
              await tracing.shutdown();
            },
          }
        : service,
    );
  });

const config = program.command('config').description('configuration');
config
  .command('check')
  .description('validate environment and policy; exit non-zero naming every problem')
  .option('--connect', 'also connect to every system, like `draftbridge doctor`')
  .action(async (opts: { connect?: boolean }) => {
    if (opts.connect) return (await import('./cli/doctor.ts')).doctorCommand({});
    const { settings, policy } = await loadConfigOrExit();
    console.log(
      `configuration ok: policy ${settings.DRAFTBRIDGE_POLICY} (${Object.keys(policy.flows).length} flows, ${policy.triggers.length} triggers), ` +
        `sandbox ${settings.DRAFTBRIDGE_SANDBOX ? 'on' : 'off'}, public URL ${settings.publicUrl}`,
    );
  });

program
  .command('doctor')
  .description(
    'connect to Redis, the CRM, the mail system, each LLM route and the public URL; ✓/✗ per check, exit 1 on any ✗',
  )
  .option('--mailbox <address>', "the mailbox to read settings of (default: the CRM's first owner)")
  .option('--timeout <ms>', 'per call', '10000')
  .action(async (opts: { mailbox?: string; timeout?: string }) =>
    (await import('./cli/doctor.ts')).doctorCommand(opts),
  );

const audit = program.command('audit').description('the audit trail');
audit
  .command('verify')
  .description(
    'check the hash chain from the last signed checkpoint (--full: from its start); names the first broken link',
  )
  .option('--full', 'verify the whole chain, not only what was added since the last checkpoint')
  .action(async (opts: { full?: boolean }) => {
    const { settings, policy } = await loadConfigOrExit();
    const ctx = createAppContext(settings, policy);
    await ctx.ready();
    try {
      const result = await ctx.audit.verify({ from: opts.full ? 'start' : 'checkpoint' });
      // The review page shows when the chain was last checked and how that went.
      await ctx.audit.append({
        type: 'audit.verified',
        actor: 'cli',
        outcome: result.ok ? 'ok' : 'broken',
        details: { checked: result.checked, full: opts.full ?? false },
      });
      if (result.ok)
        console.log(
          `audit chain ok: ${result.checked} events verified${opts.full ? '' : ' since the last checkpoint'}`,
        );
      else {
        console.error(
          `audit chain BROKEN at ${result.brokenAt}: ${result.reason} (${result.checked} events verified before it)`,
        );
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
  .description(
    'apply retention classes now (audit events past their class, finished jobs past their age; request records, vault and dedupe expire by TTL); also runs by itself on the policy schedule',
  )
  .option('--dry-run', 'print what would be deleted, delete nothing')
  .action(async (opts: { dryRun?: boolean }) => {
    const { settings, policy } = await loadConfigOrExit();
    const ctx = createAppContext(settings, policy);
    await ctx.ready();
    try {
      const { runRetention } = await import('./pipeline/retention.ts');
      const report = await runRetention(ctx, { dryRun: opts.dryRun ?? false, actor: 'cli' });
      console.log(
        JSON.stringify(
          opts.dryRun
            ? { dryRun: true, wouldRemove: { auditEvents: report.auditEvents, jobs: report.jobs } }
            : { auditEventsRemoved: report.auditEvents, jobsRemoved: report.jobs },
        ),
      );
    } finally {
      await ctx.close();
    }
  });

const privacy = program
  .command('privacy')
  .description('data-subject requests (Art. 15, 17, 21 GDPR) by CRM contact id');
for (const [kind, description] of [
  [
    'access',
    'print what draftbridge holds about the contact (requests, personal values, audit events) as JSON',
  ],
  [
    'erase',
    'delete every personal value held about the contact (the audit trail keeps only HMAC references)',
  ],
  [
    'object',
    'erase, put the contact on the suppression list and set the CRM opt-out: no draft is ever made again',
  ],
] as const) {
  privacy
    .command(`${kind} <contactId>`)
    .description(description)
    .action(async (contactId: string) => {
      // HubSpot digits, Salesforce 15/18-character ids, Dataverse GUIDs; `lead:<id>` for a lead.
      if (!/^((contact|lead):)?[A-Za-z0-9-]{1,64}$/.test(contactId)) {
        console.error('draftbridge: the contact id is the CRM record id (lead:<id> for a lead)');
        process.exit(1);
      }
      const { settings, policy } = await loadConfigOrExit();
      const ctx = createAppContext(settings, policy);
      await ctx.ready();
      try {
        const dsr = await import('./privacy/subject-requests.ts');
        const crm = !settings.DRAFTBRIDGE_SANDBOX
          ? await (
              await import('../connectors/index.ts')
            ).createCrm(settings, policy, prometheusConnectorMetrics)
          : undefined;
        const deps = subjectRequestDeps(ctx, crm);
        const result =
          kind === 'access'
            ? await dsr.accessRequest(deps, contactId)
            : kind === 'erase'
              ? await dsr.erasureRequest(deps, contactId)
              : await dsr.objectionRequest(deps, contactId);
        console.log(JSON.stringify(result, null, 2));
      } finally {
        await ctx.close();
      }
    });
}

program
  .command('ropa')
  .description(
    'print the record of processing activities (Art. 30 GDPR) derived from the policy and the configured systems, as JSON',
  )
  .action(async () => {
    const { settings, policy } = await loadConfigOrExit();
    console.log(JSON.stringify(recordOfProcessing(policy, settings), null, 2));
  });

// Needs no credentials: only the policy's special-category actions.
registerPseudonymise(program);
// Needs no credentials and no Redis: the scheduling rules (and an LLM route, when configured).
registerScheduling(program);

registerCompliance(program);

program
  .command('demo')
  .description(
    'send a signed "callback requested" webhook to a running sandbox service and show where the draft landed',
  )
  .option(
    '--url <url>',
    'the service base URL',
    process.env.DRAFTBRIDGE_PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 3000}`,
  )
  .option(
    '--contact <id>',
    'sandbox contact: 1001 de, 1002 en, 1003 health note, 1004 blocked, 1005 opted out, 1006 new lead',
    '1001',
  )
  .option('--timeout <seconds>', 'how long to wait for the draft', '30')
  .addOption(
    new Option(
      '--crm <crm>',
      'the CRM the sandbox service simulates (default: asked from the service)',
    ).choices(['hubspot', 'salesforce', 'dynamics']),
  )
  .option(
    '--reply <n>',
    'then send the draft as the reviewer, answer it as the contact choosing offered slot n (1-3), and show the booked meeting',
  )
  .option(
    '--note <text>',
    "the contact's callback note in your own words (the sandbox contact), before the trigger",
  )
  .option(
    '--reply-text <text>',
    'like --reply, but the contact answers in your own words (a pick, a counter-proposal, "call me", …)',
  )
  .action(
    async (opts: {
      url: string;
      contact: string;
      timeout: string;
      crm?: string;
      reply?: string;
      note?: string;
      replyText?: string;
    }) => {
      const reply =
        opts.replyText ??
        (opts.reply === undefined ? undefined : /^\d+$/.test(opts.reply) ? Number(opts.reply) : Number.NaN);
      process.exitCode = await runDemo({
        url: opts.url,
        contact: opts.contact,
        crm: opts.crm,
        secret: process.env.HUBSPOT_CLIENT_SECRET,
        timeoutMs: Number(opts.timeout) * 1000,
        reply,
        note: opts.note,
        print: (l) => console.log(l),
      });
    },
  );

program
  .command('hubspot')
  .description('HubSpot portal set-up')
  .command('setup')
  .description(
    'create the draftbridge contact properties (status, last request, opt-out, callback flag); safe to run again',
  )
  .action(async () => {
    const { settings, policy } = await loadConfigOrExit();
    const { HubSpotCrm } = await import('../connectors/hubspot/connector.ts');
    const { ensureCustomProperties } = await import('../connectors/hubspot/setup.ts');
    if (!settings.HUBSPOT_ACCESS_TOKEN) {
      console.error('draftbridge: HUBSPOT_ACCESS_TOKEN is required for hubspot setup');
      process.exit(1);
    }
    const crm = new HubSpotCrm({
      accessToken: settings.HUBSPOT_ACCESS_TOKEN,
      basePath: settings.HUBSPOT_BASE_URL,
      requestsPer10s: policy.limits.hubspot.requestsPer10s,
    });
    const { created, existing } = await ensureCustomProperties(crm.client);
    console.log(
      `hubspot setup: created ${created.join(', ') || 'nothing'}; already there: ${existing.join(', ') || 'nothing'}`,
    );
  });

program
  .command('salesforce')
  .description('Salesforce org set-up')
  .command('setup')
  .description(
    'create the draftbridge custom fields on Contact and Lead through the Metadata API; safe to run again',
  )
  .action(async () => {
    const { settings } = await loadConfigOrExit({ ...process.env, DRAFTBRIDGE_CRM: 'salesforce' });
    const { SalesforceCrm } = await import('../connectors/salesforce/connector.ts');
    const { authFromSettings } = await import('../connectors/salesforce/auth.ts');
    const { ensureSalesforceFields } = await import('../connectors/salesforce/setup.ts');
    if (!settings.SALESFORCE_CLIENT_ID) {
      console.error(
        'draftbridge: SALESFORCE_CLIENT_ID (and a secret or JWT key) is required for salesforce setup',
      );
      process.exit(1);
    }
    const crm = new SalesforceCrm({
      auth: authFromSettings(settings),
      apiVersion: settings.SALESFORCE_API_VERSION,
    });
    const { created, existing } = await ensureSalesforceFields(await crm.connect());
    console.log(
      `salesforce setup: created ${created.join(', ') || 'nothing'}; already there: ${existing.join(', ') || 'nothing'}`,
    );
  });

program
  .command('dynamics')
  .description('Dynamics 365 / Dataverse set-up')
  .command('setup')
  .description(
    'create the draftbridge columns on contact and lead through the metadata API; safe to run again',
  )
  .option('--prefix <prefix>', "the solution publisher's customization prefix", 'new')
  .action(async (opts: { prefix: string }) => {
    const { settings } = await loadConfigOrExit({ ...process.env, DRAFTBRIDGE_CRM: 'dynamics' });
    const { DataverseCrm } = await import('../connectors/dynamics/connector.ts');
    const { ensureDataverseColumns } = await import('../connectors/dynamics/setup.ts');
    if (!settings.DATAVERSE_URL) {
      console.error('draftbridge: DATAVERSE_URL and the app registration are required for dynamics setup');
      process.exit(1);
    }
    const crm = new DataverseCrm({
      url: settings.DATAVERSE_URL,
      tenantId: settings.DATAVERSE_TENANT_ID ?? '',
      clientId: settings.DATAVERSE_CLIENT_ID ?? '',
      clientSecret: settings.DATAVERSE_CLIENT_SECRET ?? '',
      authorityHost: settings.DATAVERSE_AUTHORITY_HOST,
    });
    const { created, existing } = await ensureDataverseColumns(crm.api, opts.prefix);
    console.log(
      `dynamics setup: created ${created.join(', ') || 'nothing'}; already there: ${existing.join(', ') || 'nothing'}`,
    );
  });

program
  .command('bench')
  .description(
    'throughput of the whole pipeline in sandbox mode next to its floor (same stages and vendor calls through plain fetch), raw BullMQ and a bare Fastify route, and memory with 1,000 LLM calls in flight, in one run',
  )
  .option('--json', 'print one JSON object instead of a table')
  .option('--requests <n>', 'callback requests per measured window (also the HubSpot burst)', '1000')
  .option('--warmup <n>', 'requests pushed through before measuring', '300')
  .option(
    '--windows <n>',
    'measured pipeline windows, each followed by a floor window replaying its calls',
    '2',
  )
  .option('--latency-requests <n>', 'webhooks sent one at a time for the latency figures', '300')
  .option('--latency-rate <n>', 'webhooks per second for the latency figures', '10')
  .option('--inflight <n>', 'LLM calls held in flight for the memory figure', '1000')
  .option(
    '--inflight-latency-ms <ms>',
    'how long the simulated LLM takes to answer in the memory figure',
    '90000',
  )
  .option('--llm-requests <n>', 'requests in the LLM quota scenario', '500')
  .option('--llm-tpm <n>', "the simulated deployment's tokens per minute (RPM 6 per 1,000)", '200000')
  .option(
    '--llm-latency-ms <n>',
    'how long the simulated model takes to answer in the quota scenario',
    '2000',
  )
  .option('--no-quota', 'skip the vendor-quota scenarios (LLM goodput, HubSpot burst)')
  .action(
    async (opts: {
      json?: boolean;
      requests: string;
      warmup: string;
      windows: string;
      latencyRequests: string;
      latencyRate: string;
      inflight: string;
      inflightLatencyMs: string;
      llmRequests: string;
      llmTpm: string;
      llmLatencyMs: string;
      quota: boolean;
    }) => {
      const { settings, policy } = await loadConfigOrExit({ ...process.env, DRAFTBRIDGE_SANDBOX: '1' });
      const { runBench, formatBench } = await import('../tools/bench/run.ts');
      const { runQuotaBench, formatQuotaBench } = await import('../tools/bench/quota.ts');
      const result = await runBench(settings, policy, {
        requests: Number(opts.requests),
        warmup: Number(opts.warmup),
        windows: Number(opts.windows),
        latencyRequests: Number(opts.latencyRequests),
        latencyRate: Number(opts.latencyRate),
        inflight: Number(opts.inflight),
        inflightLatencyMs: Number(opts.inflightLatencyMs),
      });
      const quota = opts.quota
        ? await runQuotaBench(settings, policy, {
            requests: Number(opts.requests),
            llmRequests: Number(opts.llmRequests),
            llmTpm: Number(opts.llmTpm),
            llmLatencyMs: Number(opts.llmLatencyMs),
          })
        : undefined;
      console.log(
        opts.json
          ? JSON.stringify({ ...result, ...quota })
          : [formatBench(result), ...(quota ? formatQuotaBench(quota) : [])].join('\n'),
      );
      process.exit(0);
    },
  );

program
  .command('chaos')
  .description(
    'the service as API + worker processes on a private Redis under worker kills, a Redis restart and vendor faults; counts lost and doubled requests',
  )
  .option('--json', 'print one JSON object on the last line instead of a table')
  .option('--events <n>', 'webhook events to fire', '5000')
  .option('--duration <seconds>', 'how long to spread the events over', '300')
  .option('--kills <n>', 'worker SIGKILLs at most (every 20–40 s while firing)', '100')
  .option('--workers <n>', 'worker processes', '2')
  .option('--drain <seconds>', 'how long to wait at most for the last requests', '240')
  .option('--seed <n>', 'contacts and schedule', '1')
  .option('--fault-rate <fraction>', 'share of simulator calls answered 429, 5xx or not at all', '0.1')
  .option('--no-redis-restart', 'skip the Redis restart')
  .action(
    async (opts: {
      json?: boolean;
      events: string;
      duration: string;
      kills: string;
      workers: string;
      drain: string;
      seed: string;
      faultRate: string;
      redisRestart: boolean;
    }) => {
      const { runChaos, formatChaos } = await import('../tools/chaos/run.ts');
      const result = await runChaos(process.env.DRAFTBRIDGE_POLICY ?? 'config/policy.yaml', {
        events: Number(opts.events),
        durationS: Number(opts.duration),
        kills: Number(opts.kills),
        workers: Math.max(2, Number(opts.workers)),
        drainS: Number(opts.drain),
        seed: Number(opts.seed),
        faultRate: Number(opts.faultRate),
        redisRestart: opts.redisRestart,
        onProgress: (line) => process.stderr.write(`[chaos] ${line}\n`),
      });
      console.log(opts.json ? JSON.stringify(result) : formatChaos(result));
      process.exit(
        result.lost === 0 && result.duplicates === 0 && result.pii_hits === 0 && result.audit_ok ? 0 : 1,
      );
    },
  );

program
  .command('scale')
  .description(
    "what a year of history costs: seeds a private redis-server with a deployment's history and measures access, erasure, verification, the review page, the retention sweep and memory, at the given size and a tenth of it",
  )
  .option('--json', 'print one JSON object on the last line instead of a table')
  .option('--events <n>', 'audit events', '1000000')
  .option('--requests <n>', 'requests the events belong to', '100000')
  .option('--subjects <n>', 'data subjects the requests are about', '50000')
  .option('--samples <n>', 'subjects asked about (access) and erased, each', '50')
  .option(
    '--since-checkpoint <n>',
    'events written after the last checkpoint (incremental verification)',
    '10000',
  )
  .action(
    async (opts: {
      json?: boolean;
      events: string;
      requests: string;
      subjects: string;
      samples: string;
      sinceCheckpoint: string;
    }) => {
      const { settings, policy } = await loadConfigOrExit({ ...process.env, DRAFTBRIDGE_SANDBOX: '1' });
      const { runScale, formatScale } = await import('../tools/scale/run.ts');
      const result = await runScale(settings, policy, {
        events: Number(opts.events),
        requests: Number(opts.requests),
        subjects: Number(opts.subjects),
        samples: Number(opts.samples),
        sinceCheckpoint: Number(opts.sinceCheckpoint),
        onProgress: (line) => process.stderr.write(`[scale] ${line}\n`),
      });
      console.log(opts.json ? JSON.stringify(result) : formatScale(result));
      process.exit(0);
    },
  );

program.addOption(new Option('--no-color').hideHelp());

await program.parseAsync(process.argv);
