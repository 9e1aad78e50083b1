// The sandbox simulators in a process of their own, for `draftbridge bench`: they stand in for
// HubSpot, Microsoft and Azure, whose CPU is not ours to count. Prints the sandbox settings as one
// JSON line on stdout, then serves until killed. With an IPC channel it reports the simulators'
// call counts on request (src/bench/vendor-calls.ts).
import { loadSettings } from '../settings.ts';
import { startSandbox } from '../sandbox.ts';
import { answerVendorCalls } from './vendor-calls.ts';

const settings = loadSettings({ ...process.env, DRAFTBRIDGE_SANDBOX: '1' });
const sandbox = await startSandbox(settings);
answerVendorCalls(() => ({ hubspot: sandbox.hubspot.calls(), graph: sandbox.mail === 'graph' ? sandbox.graph.calls() : {} }));
process.stdout.write(`${JSON.stringify({ settings: sandbox.settings, caPem: sandbox.graph.tls.caPem })}\n`);
process.on('SIGTERM', () => {
  void sandbox.close().then(() => process.exit(0));
});
