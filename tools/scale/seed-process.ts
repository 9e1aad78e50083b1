// Seeds a deployment's history in its own process, so the measuring process's memory is the
// operations' own (argv: events requests subjects; REDIS_URL and DRAFTBRIDGE_QUEUE_PREFIX from env).
import { createAppContext } from '../../src/app.ts';
import { loadPolicy } from '../../src/policy.ts';
import { loadSettings } from '../../src/settings.ts';
import { seedHistory } from './seed.ts';

const [events, requests, subjects] = process.argv.slice(2).map(Number) as [number, number, number];
const settings = loadSettings({ ...process.env, DRAFTBRIDGE_SANDBOX: '1' });
const ctx = createAppContext(settings, await loadPolicy(settings.DRAFTBRIDGE_POLICY));
await ctx.ready();
const started = performance.now();
await seedHistory(ctx, { events, requests, subjects });
process.stdout.write(`${JSON.stringify({ seedS: (performance.now() - started) / 1000 })}\n`);
await ctx.close();
