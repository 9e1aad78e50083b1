// One writer process for the multi-process audit test: appends N events as fast as it can,
// several in flight at once (as a worker process with concurrent jobs does).
import { AuditTrail } from '../../src/audit/trail.ts';
import { createRedis } from '../../src/redis.ts';

const [prefix, keyB64, countArg, url] = process.argv.slice(2) as [string, string, string, string];
// The suite's Redis, one node or a cluster (store role, as the workers' audit connection).
const redis = createRedis(url, 'store', 'draftbridge-test-append');
const audit = new AuditTrail(redis, { prefix, key: Buffer.from(keyB64, 'base64') });
const count = Number(countArg);
let next = 0;
await Promise.all(
  Array.from({ length: 8 }, async () => {
    while (next < count) {
      const i = next++;
      await audit.append({ type: 'test.process', actor: `pid${process.pid}`, outcome: 'ok', details: { i } });
    }
  }),
);
redis.disconnect();
