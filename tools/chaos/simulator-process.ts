// The simulators for `draftbridge chaos`, in a process of their own: the sandbox's HubSpot, Entra/Graph
// and Azure OpenAI, seeded with invented contacts, answering about 10% of calls with 429 (Retry-After),
// 5xx or a timeout. Prints the settings as one JSON line on stdout; answers `report` messages on the
// IPC channel with what the simulators themselves recorded (drafts per request, LLM requests scanned
// for personal values), then serves until killed.
import type { Fault } from '../../sandbox/support.ts';
import { REQUEST_ID_PROPERTY } from '../../connectors/graph/connector.ts';
import { SANDBOX_CONTACTS, SANDBOX_OWNERS, startSandbox } from '../../sandbox/index.ts';
import { loadSettings } from '../../src/settings.ts';
import { chaosContacts, PersonalValueIndex } from './contacts.ts';

export interface SimulatorReport {
  /** Per request id: messages carrying it (drafts and sent), how many were sent, when the first was created. */
  messages: Record<string, { count: number; sent: number; firstAt: number }>;
  llmRequests: number;
  llmPiiHits: number;
  faultsInjected: number;
  simulatorCalls: number;
}

const env = process.env;
const settings = loadSettings({ ...env, DRAFTBRIDGE_SANDBOX: '1' });
const sandbox = await startSandbox(settings, { tlsDir: env.CHAOS_TLS_DIR });
const contacts = chaosContacts(Number(env.CHAOS_CONTACTS ?? 500), Number(env.CHAOS_SEED ?? 1));
for (const c of contacts) sandbox.hubspot.seedContact({ id: c.id, properties: c.properties });

const index = new PersonalValueIndex();
for (const c of [...contacts, ...SANDBOX_CONTACTS]) index.add(c.properties);
for (const o of SANDBOX_OWNERS) index.add({ firstname: o.firstName, lastname: o.lastName, email: o.email });

// About 10% of every simulator's calls fail: 2% 429 with Retry-After, 7% 5xx, 1% no answer before the
// client's timeout. (A 429 pauses the whole stage queue for its Retry-After, as a provider-wide limit
// should; at a few percent of calls that alone caps throughput, see README.)
const rate = Number(env.CHAOS_FAULT_RATE ?? 0.1);
let faultsInjected = 0;
const counted = (f: Fault): Fault => ({ ...f, onApplied: () => faultsInjected++ });
const sustained = (timeoutMs: number, retryAfter: Partial<Fault>): Fault[] => [
  counted({ probability: rate * 0.2, status: 429, ...retryAfter }),
  counted({ probability: rate * 0.35, status: 503 }),
  counted({ probability: rate * 0.35, status: 500 }),
  counted({ probability: rate * 0.1, timeout: true, timeoutMs }),
];
if (rate > 0) {
  // Client timeouts: HubSpot 10 s, Graph 15 s, the LLM route's policy timeout (the chaos policy sets 10 s).
  for (const f of sustained(12_000, { retryAfterSeconds: 1, policyName: 'TEN_SECONDLY_ROLLING' }))
    sandbox.hubspot.inject(f);
  // Graph also creates a draft and then answers too late (the caller gave up): the doubling risk.
  sandbox.graph.inject(
    counted({ probability: rate * 0.05, method: 'POST', path: /\/messages$/, responseDelayMs: 16_000 }),
  );
  for (const f of sustained(17_000, { retryAfterSeconds: 1 })) sandbox.graph.inject(f);
  for (const f of sustained(12_000, { retryAfterMs: 500 })) sandbox.llm.inject(f);
}

function report(): SimulatorReport {
  const messages: SimulatorReport['messages'] = {};
  for (const owner of SANDBOX_OWNERS) {
    for (const m of sandbox.graph.mailbox(owner.email).messages) {
      const requestId = m.singleValueExtendedProperties.find(
        (p) => p.id.toLowerCase() === REQUEST_ID_PROPERTY.toLowerCase(),
      )?.value;
      if (!requestId) continue;
      const entry = (messages[requestId] ??= { count: 0, sent: 0, firstAt: Number.POSITIVE_INFINITY });
      entry.count++;
      if (!m.isDraft) entry.sent++;
      entry.firstAt = Math.min(entry.firstAt, Date.parse(m.createdDateTime));
    }
  }
  let llmRequests = 0;
  let llmPiiHits = 0;
  for (const r of sandbox.llm.requests) {
    if (r.method !== 'POST') continue;
    llmRequests++;
    llmPiiHits += index.scan(JSON.stringify(r.body ?? '')).length;
  }
  const simulatorCalls =
    sandbox.hubspot.requests.length + sandbox.graph.requests.length + sandbox.llm.requests.length;
  return { messages, llmRequests, llmPiiHits, faultsInjected, simulatorCalls };
}

process.on('message', (message: { type?: string }) => {
  if (message.type === 'report') process.send?.({ type: 'report', report: report() });
});
process.stdout.write(`${JSON.stringify({ settings: sandbox.settings, caPem: sandbox.graph.tls.caPem })}\n`);
process.on('SIGTERM', () => {
  void sandbox.close().then(() => process.exit(0));
});
process.on('disconnect', () => {
  void sandbox.close().then(() => process.exit(0));
});
