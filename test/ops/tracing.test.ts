import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTracing, type Tracing } from '../../src/telemetry.ts';
import { redactUrl } from '../../src/telemetry-sdk.ts';
import type { PipelineHarness } from '../support/pipeline-harness.ts';

describe('OpenTelemetry traces: webhook → every stage → connector calls, ids and codes only', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing;
  let h: PipelineHarness;
  let leakedValues: (texts: string[], values: string[]) => string[];
  let requestId: string;

  beforeAll(async () => {
    // Tracing first, then the product, as `draftbridge serve` does.
    tracing = (await startTracing({ exporter }))!;
    const harness = await import('../support/pipeline-harness.ts');
    leakedValues = harness.leakedValues;
    h = await harness.startPipelineHarness();
    ({ requestId } = await h.deliverWebhook('1001'));
    await h.waitForState(requestId, ['awaiting_review']);
    await h.waitForCrmNote(requestId);
    // The reviewer sends the draft: Graph notifies us and the approval reaches the CRM.
    const draft = h.sandbox.graph
      .mailbox('max.vertrieb@example.com')
      .messages.find((m) => m.singleValueExtendedProperties.some((p) => p.value === requestId))!;
    await h.sandbox.graph.sendDraftAsUser('max.vertrieb@example.com', draft.immutableId);
    await h.waitForState(requestId, ['sent']);
    for (
      let i = 0;
      i < 200 && (await h.ctx.queues['crm-sync'].getJobState(`${requestId}.sent`)) !== 'completed';
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await tracing?.shutdown();
  });

  const spans = () => exporter.getFinishedSpans();
  const described = (s: ReadableSpan) => ({
    name: s.name,
    kind: s.kind,
    attributes: s.attributes,
    events: s.events,
    status: s.status,
    resource: s.resource.attributes,
  });

  it('carries one trace from the webhook through intake, draft, deliver and crm-sync', async () => {
    const webhook = spans().find((s) => s.name === 'webhook hubspot.app')!;
    expect(webhook).toBeDefined();
    const traceId = webhook.spanContext().traceId;
    const inTrace = spans().filter((s) => s.spanContext().traceId === traceId);
    const stages = inTrace
      .filter((s) => s.name.startsWith('stage ') && s.attributes['draftbridge.request_id'] === requestId)
      .map((s) => s.name);
    expect(new Set(stages)).toEqual(
      new Set(['stage intake', 'stage draft', 'stage deliver', 'stage crm-sync']),
    );
  });

  it('carries the approval from the Graph notification through mail-events into crm-sync', async () => {
    const webhooks = spans().filter((s) => s.name === 'webhook graph');
    expect(webhooks.length).toBeGreaterThan(0);
    const traces = new Set(webhooks.map((s) => s.spanContext().traceId));
    const names = spans()
      .filter((s) => traces.has(s.spanContext().traceId))
      .map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['stage mail-events', 'stage crm-sync']));
  });

  it('has a client span for each connector call: HubSpot, Graph and the LLM', async () => {
    const webhook = spans().find((s) => s.name === 'webhook hubspot.app')!;
    const clients = spans().filter(
      (s) => s.spanContext().traceId === webhook.spanContext().traceId && s.kind === 2 /* CLIENT */,
    );
    const hosts = new Set(
      clients
        .map((s) => String(s.attributes['url.full'] ?? s.attributes['http.url'] ?? ''))
        .map((u) => u.replace(/^(https?:\/\/[^/]+).*$/, '$1')),
    );
    for (const sim of [
      h.sandbox.hubspot.url,
      h.sandbox.llm.url,
      new URL(h.sandbox.graph.graphBaseUrl).origin,
    ])
      expect(hosts, sim).toContain(sim);
  });

  it('exports no personal value in any span name, attribute, event or status', async () => {
    const exported = JSON.stringify(spans().map(described));
    expect(spans().length).toBeGreaterThan(10);
    expect(leakedValues([exported], h.personalValues())).toEqual([]);
    expect(exported).not.toMatch(/@|%40/);
  });

  it('redacts URL segments that are not ids and drops queries', () => {
    expect(
      redactUrl('https://graph.microsoft.com/v1.0/users/max.vertrieb%40example.com/messages?$filter=x'),
    ).toBe('https://graph.microsoft.com/v1.0/users/{redacted}/messages');
    expect(redactUrl('/crm/v3/objects/contacts/1001?properties=email')).toBe('/crm/v3/objects/contacts/1001');
    expect(redactUrl('/search/Erika%20Musterfrau')).toBe('/search/{redacted}');
  });
});
