import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/http/server.ts';
import { sandboxRoutes } from '../../sandbox/routes.ts';
import { startPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.ts';

/** The demo's sandbox routes: callers on this machine only, and a 400 (never a 500) for bad input. */
describe('sandbox routes', () => {
  let h: PipelineHarness;
  let app: FastifyInstance;
  beforeAll(async () => {
    h = await startPipelineHarness({ withWorkers: false });
    app = await buildServer(h.ctx, [async (a) => void (await a.register(sandboxRoutes(h.ctx, h.sandbox)))]);
  });
  afterAll(async () => {
    await app.close();
    await h.close();
  });

  it('answer only callers on this machine', async () => {
    const far = await app.inject({
      method: 'POST',
      url: '/sandbox/trigger/1001',
      remoteAddress: '192.0.2.10',
    });
    expect(far.statusCode).toBe(403);
    expect(
      (await app.inject({ url: '/sandbox/requests/hs-1-2-1001', remoteAddress: '192.0.2.10' })).statusCode,
    ).toBe(403);
    expect((await app.inject({ url: '/sandbox/requests/hs-1-2-1001' })).statusCode).toBe(404);
  });

  it('answer bad input with 400 and a sentence, not 500 with a validation dump', async () => {
    for (const payload of [{ option: 7 }, { option: 'abc' }, {}]) {
      const res = await app.inject({ method: 'POST', url: '/sandbox/requests/hs-1-2-1001/reply', payload });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'bad_option' });
      expect(res.body).not.toContain('ZodError');
    }
  });
});
