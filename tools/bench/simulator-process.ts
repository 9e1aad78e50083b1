// The sandbox simulators in a process of their own, for `draftbridge bench`: they stand in for
// HubSpot, Microsoft and Azure, whose CPU is not ours to count. Prints the sandbox settings as one
// JSON line on stdout, then serves until killed. Over IPC (when the parent opened a channel) it
// reports the simulators' call counts (tools/bench/vendor-calls.ts), hands out the calls they saw so the
// floor can replay exactly what the pipeline sent (floor.ts), and for the quota scenarios
// (tools/bench/quota.ts) takes `quota` messages that set the vendors' limits and answers `report`.
import { loadSettings } from '../../src/settings.ts';
import { startSandbox } from '../../sandbox/index.ts';
import type { RecordedRequest } from '../../sandbox/support.ts';
import type { SimulatorCall } from './floor.ts';
import type { QuotaCommand, QuotaReport } from './quota-protocol.ts';
import { answerVendorCalls } from './vendor-calls.ts';

const settings = loadSettings({ ...process.env, DRAFTBRIDGE_SANDBOX: '1' });
const sandbox = await startSandbox(settings);
answerVendorCalls(() => ({
  hubspot: sandbox.hubspot.calls(),
  graph: sandbox.mail === 'graph' ? sandbox.graph.calls() : {},
}));
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
    const report: QuotaReport = {
      type: 'report',
      llm: sandbox.llm.quotaStats(),
      hubspot: sandbox.hubspot.rateLimitStats(),
    };
    process.send?.(report);
  }
});

const services: Record<SimulatorCall['service'], { url: string; requests: RecordedRequest[] }> = {
  hubspot: sandbox.hubspot,
  graph: sandbox.graph,
  llm: sandbox.llm,
};
// Recorded calls are kept only while the bench asks for them ('record'), then dropped ('take').
process.on('message', (message: { type: string; keep?: boolean }) => {
  if (message.type !== 'take') return;
  const calls: SimulatorCall[] = [];
  for (const [service, sim] of Object.entries(services) as [
    SimulatorCall['service'],
    (typeof services)['hubspot'],
  ][]) {
    for (const r of sim.requests) {
      if (message.keep)
        calls.push({
          service,
          origin: sim.url,
          method: r.method,
          path: r.path,
          query: r.query,
          headers: pickHeaders(r.headers),
          body: r.body,
          at: r.at,
        });
    }
    sim.requests.length = 0;
  }
  process.send?.({ type: 'calls', calls });
});

// What a replay needs to be accepted: credentials and content type, nothing per-connection.
function pickHeaders(headers: RecordedRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['authorization', 'api-key', 'content-type', 'accept', 'prefer']) {
    const v = headers[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}
