import type { FastifyInstance } from 'fastify';
import { createAppContext, type AppContext } from '../../src/app.ts';
import { buildServer } from '../../src/http/server.ts';
import type { Policy } from '../../src/policy.ts';
import { defaultPolicy, deletePrefix, testSettings } from './env.ts';

/** The HTTP API over a real Redis under a fresh prefix; `stop` closes it and deletes its keys. */
export interface TestApp {
  ctx: AppContext;
  app: FastifyInstance;
  stop(): Promise<void>;
}

export async function startTestApp(
  env: Record<string, string> = {},
  policy: Policy = defaultPolicy(),
): Promise<TestApp> {
  const ctx = createAppContext(testSettings(env), policy);
  const app = await buildServer(ctx);
  await ctx.ready();
  return {
    ctx,
    app,
    async stop() {
      await app.close();
      const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
      await ctx.close();
      await deletePrefix(prefix, ctx.settings.REDIS_URL);
    },
  };
}
