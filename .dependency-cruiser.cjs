/**
 * Import direction of draftbridge (checked by `npm run lint`):
 *
 *   cli (src/cli.ts, src/cli/, src/bench/)
 *     → http (src/http/) | workers (workers/) | composition (src/app.ts, src/sandbox.ts)
 *       → pipeline (src/pipeline/)
 *         → privacy, audit, scheduling (src/privacy/, src/audit/, src/scheduling/)
 *           → base (src/ports.ts, policy, settings, crm-fields, errors, keys, redis, rate-budget, logger, metrics)
 *
 * Connectors (connectors/) implement the ports: they see only the base contracts, never the core.
 * Simulators are test doubles: only the sandbox, the test suites and other simulator code load them.
 */
const BASE = '^src/(ports|policy|settings|crm-fields|errors|keys|redis|rate-budget|logger|metrics|gmail-key|mailbox-ref)[.]ts$';
const PRIVACY_AUDIT = '^src/(privacy|audit|scheduling)/'; // scheduling: pure slot and preference rules
const PIPELINE = '^src/pipeline/';
const HTTP = '^src/http/';
const WORKERS = '^workers/';
const COMPOSITION = '^src/(app|sandbox)[.]ts$';
const CLI = '^src/(cli[.]ts$|cli/|bench/)';
const CONNECTORS = '^connectors/';
const SIMULATORS = '^connectors/(simulator-support[.]ts$|[^/]+/simulator([.]ts$|/))';

module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', comment: 'A cycle means two modules cannot be understood (or tested) apart.', from: {}, to: { circular: true } },
    {
      name: 'base-is-the-bottom',
      severity: 'error',
      comment: 'Ports, policy, settings, errors, keys and friends depend on nothing of draftbridge above them.',
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
      name: 'pipeline-below-entry-points',
      severity: 'error',
      comment: 'Stages get their dependencies passed in; they never reach up to the app, HTTP, workers or connectors.',
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
      from: { path: `${BASE}|${PRIVACY_AUDIT}|${PIPELINE}|${HTTP}|${WORKERS}|^src/app[.]ts$` },
      to: { path: CONNECTORS },
    },
    {
      name: 'connectors-see-only-contracts',
      severity: 'error',
      comment: 'A connector implements a port with options and a metrics sink; it never reaches into the core.',
      // Simulators are test doubles and may borrow core helpers (the SOAP envelope); adapters may not.
      from: { path: CONNECTORS, pathNot: SIMULATORS },
      to: { path: '^(src|workers)/', pathNot: '^src/(ports|errors|policy|settings|logger|gmail-key|mailbox-ref)[.]ts$' },
    },
    {
      name: 'simulators-only-in-sandbox-and-tests',
      severity: 'error',
      comment: 'Simulators stand in for vendors; production code paths load them only through src/sandbox.ts.',
      from: { pathNot: `^src/sandbox([.]ts$|-[^/]+[.]ts$)|^src/[^/]+/simulator-process[.]ts$|^test/|${SIMULATORS}` },
      to: { path: SIMULATORS },
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
