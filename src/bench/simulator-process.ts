// The sandbox simulators in a process of their own, for `draftbridge bench`: they stand in for
// HubSpot, Microsoft and Azure, whose CPU is not ours to count. Prints the sandbox settings as one
// JSON line on stdout, then serves until killed. With an IPC channel it reports the simulators'
// call counts on request (src/bench/vendor-calls.ts), and for the quota scenarios (src/bench/quota.ts)
// takes `quota` messages that set the vendors' limits and answers `report` messages with what they counted.
import { loadSettings } from '../settings.ts';
import { startSandbox } from '../sandbox.ts';
import type { QuotaCommand, QuotaReport } from './quota-protocol.ts';
import { answerVendorCalls } from './vendor-calls.ts';

const settings = loadSettings({ ...process.env, DRAFTBRIDGE_SANDBOX: '1' });
const sandbox = await startSandbox(settings);
answerVendorCalls(() => ({ hubspot: sandbox.hubspot.calls(), graph: sandbox.mail === 'graph' ? sandbox.graph.calls() : {} }));
process.stdout.write(`${JSON.stringify({ settings: sandbox.settings, caPem: sandbox.graph.tls.caPem })}\n`);
process.on('SIGTERM', () => {
  void sandbox.close().then(() => process.exit(0));
});
process.on('message', (command: QuotaCommand) => {
  if (command.type === 'quota') {
    sandbox.llm.setQuota(command.llm);
    sandbox.llm.setLatency(command.llmLatencyMs ?? 0);
    sandbox.hubspot.setRateLimit(command.hubspot);
    process.send?.({ type: 'ok' });
  } else if (command.type === 'report') {
    const report: QuotaReport = { type: 'report', llm: sandbox.llm.quotaStats(), hubspot: sandbox.hubspot.rateLimitStats() };
    process.send?.(report);
  }
});
