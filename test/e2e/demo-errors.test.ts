import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.ts';
import { buildServer } from '../../src/http/server.ts';
import { sandboxRoutes } from '../../sandbox/routes.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** The demo's rough edges of issue 34: clear messages at once, and the CRM asked from the service. */
describe('draftbridge demo', () => {
  let h: PipelineHarness;
  let app: FastifyInstance;
  let url: string;
  beforeAll(async () => {
    h = await startPipelineHarness({ crm: 'salesforce' });
    app = await buildServer(h.ctx, [async (a) => void (await a.register(sandboxRoutes(h.ctx, h.sandbox)))]);
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app.close();
    await h.close();
  });

  const demo = async (o: { contact?: string; reply?: number; crm?: string }) => {
    const lines: string[] = [];
    const started = Date.now();
    const code = await runDemo({
      url,
      contact: o.contact ?? '1001',
      crm: o.crm,
      timeoutMs: 20_000,
      reply: o.reply,
      print: (l) => lines.push(l),
    });
    return { code, out: lines.join('\n'), ms: Date.now() - started };
  };

  it('an unknown contact: one clear line, no waiting', async () => {
    const r = await demo({ contact: '9999' });
    expect(r.code).toBe(2);
    expect(r.out).toContain('no sandbox contact 9999');
    expect(r.out).toContain('1001');
    expect(r.ms).toBeLessThan(1000);
  });

  it('--reply out of range or not a number: a clear message, not a server error', async () => {
    for (const reply of [7, Number.NaN]) {
      const r = await demo({ reply });
      expect(r.code).toBe(2);
      expect(r.out).toContain('--reply takes the number of an offered slot');
      expect(r.out).not.toContain('Internal Server Error');
    }
  });

  it('without --crm it asks the service which CRM it simulates (Salesforce here) and follows the request', async () => {
    const r = await demo({});
    expect(r.out).toContain('salesforce');
    expect(r.out).not.toContain('/webhooks/hubspot');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/✓ draft in|recorded as a repeat/);
  });
});
