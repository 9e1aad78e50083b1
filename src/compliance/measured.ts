import type { AuditTrail } from '../audit/trail.ts';
import { ReviewLedger } from '../ops/review-ledger.ts';
import type { RedisClient } from '../redis.ts';
import type { MeasuredFacts } from './facts.ts';

/**
 * The measured state the documents cite: the last audit-chain verification and retention sweep (folded
 * from the audit trail by the review ledger, as /ops shows them) and the sweeper's run counts.
 */
export async function measuredFacts(deps: {
  redis: RedisClient;
  audit: AuditTrail;
  prefix: string;
}): Promise<MeasuredFacts> {
  const ledger = new ReviewLedger(deps.redis, deps.audit, deps.prefix);
  await ledger.catchUp();
  const [snapshot, runs] = await Promise.all([
    ledger.snapshot({ days: 1 }),
    deps.redis.hgetall(`${deps.prefix}:retention:runs`),
  ]);
  return {
    lastAuditVerification: snapshot.lastAuditVerification,
    lastRetentionRun: snapshot.lastRetentionRun,
    retentionRuns: { run: Number(runs.run ?? 0), dryRun: Number(runs.dry_run ?? 0) },
  };
}
