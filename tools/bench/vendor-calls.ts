import type { ChildProcess } from 'node:child_process';
import { z } from 'zod';
import { round } from './support.ts';

/**
 * Vendor calls per request, as the simulators count them (per endpoint, in the simulator process).
 * The bench asks the child over its IPC channel before and after the measured window; the difference
 * over the requests is what HubSpot's and Graph's rate limits would see.
 */

const CallCounts = z.record(z.string(), z.number());
const Answer = z.object({ type: z.literal('vendor-calls'), hubspot: CallCounts, graph: CallCounts });
export type VendorCalls = Omit<z.infer<typeof Answer>, 'type'>;

/** Child side: answers `{type: 'vendor-calls'}` messages with the simulators' counts. */
export function answerVendorCalls(source: () => VendorCalls): void {
  process.on('message', (message: unknown) => {
    if (z.object({ type: z.literal('vendor-calls') }).safeParse(message).success)
      process.send?.({ type: 'vendor-calls', ...source() });
  });
}

/** Parent side: the counts so far (the child must have been started with an IPC channel). */
export async function readVendorCalls(child: ChildProcess): Promise<VendorCalls> {
  const answer = new Promise<VendorCalls>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the simulator process did not report its call counts')),
      5_000,
    );
    const onMessage = (message: unknown) => {
      const parsed = Answer.safeParse(message);
      if (!parsed.success) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve({ hubspot: parsed.data.hubspot, graph: parsed.data.graph });
    };
    child.on('message', onMessage);
  });
  child.send({ type: 'vendor-calls' });
  return answer;
}

export interface VendorCallFigures {
  hubspot_calls_per_request: number;
  /** The draft's mailbox calls (messages: look-up, create, send). */
  graph_calls_per_request: number;
  /** Every Graph call, with the calendar (free/busy for slot offers) and mailbox subscriptions. */
  graph_all_calls_per_request: number;
  /** Per endpoint over the window (for the table's note and for finding where calls go). */
  hubspot_calls: Record<string, number>;
  graph_calls: Record<string, number>;
}

/** Graph API calls only: Entra's token endpoint is not Graph (and is counted under its own routes). */
const isGraphApi = (endpoint: string) => /^[A-Z]+ \/v1\.0\//.test(endpoint);
/** The draft's own calls: messages (look-up, create, send) and sendMail. */
const isMailCall = (endpoint: string) =>
  /^[A-Z]+ \/v1\.0\/users\/:[a-zA-Z]+\/(messages|sendMail)\b/.test(endpoint);

/** `total` plus what the simulators counted between `before` and `after` (one measured window). */
export function sumVendorCalls(total: VendorCalls, before: VendorCalls, after: VendorCalls): VendorCalls {
  const add = (into: Record<string, number>, counts: Record<string, number>) => {
    const out = { ...into };
    for (const [endpoint, count] of Object.entries(counts)) out[endpoint] = (out[endpoint] ?? 0) + count;
    return out;
  };
  return {
    hubspot: add(
      total.hubspot,
      delta(before.hubspot, after.hubspot, () => true),
    ),
    graph: add(
      total.graph,
      delta(before.graph, after.graph, () => true),
    ),
  };
}

export function vendorCallFigures(
  before: VendorCalls,
  after: VendorCalls,
  requests: number,
): VendorCallFigures {
  const hubspot = delta(before.hubspot, after.hubspot, () => true);
  const graph = delta(before.graph, after.graph, isGraphApi);
  const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
  return {
    hubspot_calls_per_request: round(sum(hubspot) / requests, 3),
    graph_calls_per_request: round(
      sum(Object.fromEntries(Object.entries(graph).filter(([endpoint]) => isMailCall(endpoint)))) / requests,
      3,
    ),
    graph_all_calls_per_request: round(sum(graph) / requests, 3),
    hubspot_calls: hubspot,
    graph_calls: graph,
  };
}

function delta(
  before: Record<string, number>,
  after: Record<string, number>,
  keep: (endpoint: string) => boolean,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [endpoint, count] of Object.entries(after)) {
    const d = count - (before[endpoint] ?? 0);
    if (d > 0 && keep(endpoint)) out[endpoint] = d;
  }
  return out;
}

/** "3 notes/batch/create, 12 contacts/{id}" → the table's note, biggest first. */
export function describeCalls(calls: Record<string, number>): string {
  return Object.entries(calls)
    .sort((a, b) => b[1] - a[1])
    .map(([endpoint, count]) => `${count} ${endpoint}`)
    .join(', ');
}
