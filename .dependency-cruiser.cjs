/**
 * Import direction of draftbridge (checked by `npm run lint`):
 *
 *   cli (src/cli.ts, src/cli/)                      tools (tools/: bench, chaos, evaluation)
 *     → http (src/http/) | workers (workers/) | composition (src/app.ts)      sandbox (sandbox/: test doubles)
 *       → pipeline (src/pipeline/)
 *         → privacy, audit, scheduling (src/privacy/, src/audit/, src/scheduling/)
 *           → base (src/ports.ts, policy, settings, crm-fields, errors, keys, redis, rate-budget, logger, metrics)
 *
 * Connectors (connectors/<vendor>/) are one home per vendor. Their adapters implement the ports and see
 * only the base contracts. Their intake edge (events.ts: the vendor's format to neutral routed events;
 * webhooks.ts: its Fastify route; signature.ts, soap.ts) uses the core's one intake path and the job
 * schemas, and only the HTTP server's route table registers it.
 * The product (src/, connectors/, workers/) never loads sandbox/ or tools/; only the command line does
 * (the sandbox loader in sandbox mode, the demo's seed data, the tools on their own commands).
 */
const BASE =
  '^src/(ports|policy|settings|crm-fields|errors|keys|redis|rate-budget|logger|metrics|gmail-key|mailbox-ref|llm-residency)[.]ts$';
const PRIVACY_AUDIT = '^src/(privacy|audit|scheduling)/'; // scheduling: pure slot and preference rules
const PIPELINE = '^src/pipeline/';
const HTTP = '^src/http/';
const WORKERS = '^workers/';
const COMPOSITION = '^src/app[.]ts$';
const CLI = '^src/(cli[.]ts$|cli/)';
const CONNECTORS = '^connectors/';
const VENDOR_EDGES = '^connectors/[^/]+/(events|webhooks|signature|soap)[.]ts$';
const INTAKE_API =
  '^src/(http/crm-intake|pipeline/jobs|pipeline/privacy-jobs|app|metrics|telemetry|issue-path|crm-fields)[.]ts$';
const SANDBOX = '^sandbox/';
const TOOLS = '^tools/';

module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle means two modules cannot be understood (or tested) apart.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'base-is-the-bottom',
      severity: 'error',
      comment:
        'Ports, policy, settings, errors, keys and friends depend on nothing of draftbridge above them.',
      from: { path: BASE },
      to: { path: `${PRIVACY_AUDIT}|${PIPELINE}|${HTTP}|${WORKERS}|${COMPOSITION}|${CLI}|${CONNECTORS}` },
    },
    {
      name: 'privacy-audit-below-pipeline',
      severity: 'error',
      comment: 'Privacy and audit are used by the pipeline, never the other way round.',
      from: { path: PRIVACY_AUDIT },
      to: { path: `${PIPELINE}|${HTTP}|${WORKERS}|${COMPOSITION}|${CLI}|${CONNECTORS}` },
    },
    {
      name: 'compliance-reads-never-drives',
      severity: 'error',
      comment:
        "The DPO's documents (src/compliance/) read policy, settings and measured state; they never reach the pipeline, entry points or connectors.",
      from: { path: '^src/compliance/' },
      to: { path: `${PIPELINE}|${HTTP}|${WORKERS}|${COMPOSITION}|${CLI}|${CONNECTORS}` },
    },
    {
      name: 'pipeline-below-entry-points',
      severity: 'error',
      comment:
        'Stages get their dependencies passed in; they never reach up to the app, HTTP, workers or connectors.',
      from: { path: PIPELINE },
      to: { path: `${HTTP}|${WORKERS}|${COMPOSITION}|${CLI}|${CONNECTORS}` },
    },
    {
      name: 'entry-points-below-cli',
      severity: 'error',
      comment: 'HTTP, workers and the composition root never import the command line or the bench.',
      from: { path: `${HTTP}|${WORKERS}|${COMPOSITION}` },
      to: { path: CLI },
    },
    { name: 'http-and-workers-apart', severity: 'error', from: { path: HTTP }, to: { path: WORKERS } },
    { name: 'workers-and-http-apart', severity: 'error', from: { path: WORKERS }, to: { path: HTTP } },
    {
      name: 'core-does-not-know-connectors',
      severity: 'error',
      comment: 'Only the command line, the sandbox and tests pick the concrete connectors.',
      from: {
        path: `${BASE}|${PRIVACY_AUDIT}|${PIPELINE}|${HTTP}|${WORKERS}|^src/app[.]ts$`,
        pathNot: '^src/http/server[.]ts$',
      },
      to: { path: CONNECTORS },
    },
    {
      name: 'server-registers-only-vendor-routes',
      severity: 'error',
      comment:
        "The HTTP server's route table registers each vendor's webhook plugin, nothing else of a connector.",
      from: { path: '^src/http/server[.]ts$' },
      to: { path: CONNECTORS, pathNot: '^connectors/[^/]+/webhooks[.]ts$' },
    },
    {
      name: 'connectors-see-only-contracts',
      severity: 'error',
      comment:
        'An adapter implements a port with options and a metrics sink; it never reaches into the core.',
      from: { path: CONNECTORS, pathNot: VENDOR_EDGES },
      to: {
        path: '^(src|workers)/',
        pathNot: '^src/(ports|errors|policy|settings|logger|gmail-key|mailbox-ref|llm-residency)[.]ts$',
      },
    },
    {
      name: 'vendor-edges-see-the-intake-path',
      severity: 'error',
      comment:
        'A webhook route hands neutral routed events to the one intake path; it never drives a stage itself.',
      from: { path: VENDOR_EDGES },
      to: {
        path: '^(src|workers)/',
        pathNot: `^src/(ports|errors|policy|settings|logger|gmail-key|mailbox-ref)[.]ts$|${INTAKE_API}`,
      },
    },
    {
      name: 'product-without-test-doubles-or-tools',
      severity: 'error',
      comment:
        'Simulators stand in for vendors and tools measure the product: the product never loads either.',
      from: { path: '^(src|connectors|workers)/', pathNot: CLI },
      to: { path: `${SANDBOX}|${TOOLS}` },
    },
    {
      name: 'cli-loads-only-the-sandbox-entry',
      severity: 'error',
      comment:
        'serve imports the sandbox loader and its routes (dynamically, in sandbox mode only), demo its seed data.',
      from: { path: CLI },
      to: { path: SANDBOX, pathNot: '^sandbox/(index|routes|data)[.]ts$' },
    },
    {
      name: 'sandbox-is-not-a-tool',
      severity: 'error',
      comment: 'The sandbox ships with the product (compose runs it); tools do not.',
      from: { path: SANDBOX },
      to: { path: TOOLS },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|coverage|[.]sandbox)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs'] },
  },
};
