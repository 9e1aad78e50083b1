import { createHash } from 'node:crypto';
import { setRetentionSource } from './pipeline/retention.ts';
import { AuditTrail } from './audit/trail.ts';
import { keysFor } from './keys.ts';
import { reviewLedgerFollower } from './ops/review-ledger.ts';
import { purgeRequests } from './pipeline/purge.ts';
import { CrmFields, type CrmFieldMaps } from './crm-fields.ts';
import { createLogger, type Logger } from './logger.ts';
import { redisErrorReporter } from './redis-warnings.ts';
import { setQueueCountsSource } from './metrics.ts';
import { closeQueues, createQueues, QUEUE_NAMES, type StageQueues } from './pipeline/queues.ts';
import type { Policy } from './policy.ts';
import { RequestStore } from './pipeline/request-state.ts';
import type { CrmPort } from './ports.ts';
import type { SubjectRequestDeps } from './privacy/subject-requests.ts';
import { SuppressionList } from './privacy/suppression.ts';
import { PseudonymVault } from './privacy/vault.ts';
import { createRedis, waitForRedis, type RedisClient } from './redis.ts';
import type { Settings } from './settings.ts';

/**
 * Everything a process shares: settings, policy, logger, the Redis connection for producing jobs and
 * writing audit events (fail-fast), the stage queues and the audit trail. Built once at start and
 * passed down explicitly; no module-level state.
 */
export interface AppContext {
  settings: Settings;
  policy: Policy;
  logger: Logger;
  redis: RedisClient;
  queues: StageQueues;
  audit: AuditTrail;
  keys: { vault: Buffer; vaultPrevious: Buffer[]; audit: Buffer };
  /** The deployment's CRM and its field names per record kind (logical ↔ CRM names). */
  crm: CrmFieldMaps;
  /** Resolves once Redis answers (rejects after `timeoutMs`); the fail-fast connection needs it before first use. */
  ready(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** In the sandbox, fixed development keys stand in for missing ones (never outside it: settings refuse). */
function keyFrom(value: string | undefined, label: string): Buffer {
  if (value) return Buffer.from(value, 'base64');
  return createHash('sha256').update(`draftbridge sandbox ${label} key (not secret)`).digest();
}

export function createAppContext(
  settings: Settings,
  policy: Policy,
  options: { logger?: Logger } = {},
): AppContext {
  const logger = options.logger ?? createLogger({ level: settings.LOG_LEVEL });
  const redis = createRedis(settings.REDIS_URL, 'producer');
  redis.on('error', redisErrorReporter(logger, 'redis'));
  const queues = createQueues(redis, settings.DRAFTBRIDGE_QUEUE_PREFIX, policy);
  // One reporter for all queues: they share the connection's fate, so one line stands for all.
  const queueErrors = redisErrorReporter(logger, 'queues');
  for (const q of Object.values(queues)) q.on('error', queueErrors);
  const keys = {
    vault: keyFrom(settings.DRAFTBRIDGE_VAULT_KEY, 'vault'),
    vaultPrevious: settings.DRAFTBRIDGE_VAULT_PREVIOUS_KEYS.map((k) => Buffer.from(k, 'base64')),
    audit: keyFrom(settings.DRAFTBRIDGE_AUDIT_KEY, 'audit'),
  };
  const audit = new AuditTrail(redis, {
    prefix: settings.DRAFTBRIDGE_QUEUE_PREFIX,
    key: keys.audit,
    onScrubbed: (type, findings) =>
      logger.error({ auditType: type, findings }, 'audit details carried personal data; removed'),
    retentionMs: policy.retention.audit,
    // The review page's counters are folded as events are sealed, by whichever process seals them.
    follower: reviewLedgerFollower(settings.DRAFTBRIDGE_QUEUE_PREFIX),
  });
  const fieldMaps = {
    contact: new CrmFields(settings.DRAFTBRIDGE_CRM, 'contact', policy.crm.fields),
    lead: new CrmFields(settings.DRAFTBRIDGE_CRM, 'lead', policy.crm.fields),
  };
  setQueueCountsSource(async () => {
    const entries = await Promise.all(
      QUEUE_NAMES.map(async (name) => [name, await queues[name].getJobCounts()] as const),
    );
    return Object.fromEntries(entries);
  });
  const context: AppContext = {
    settings,
    policy,
    logger,
    redis,
    queues,
    audit,
    keys,
    crm: { name: settings.DRAFTBRIDGE_CRM, fields: (objectType) => fieldMaps[objectType] },
    async ready(timeoutMs = 5_000) {
      await waitForRedis(redis, timeoutMs);
    },
    async close() {
      setQueueCountsSource(undefined);
      setRetentionSource(undefined);
      await closeQueues(queues);
      redis.disconnect();
    },
  };
  // /metrics shows the retention sweeper's last run, recorded in Redis by whichever process ran it.
  setRetentionSource(context);
  return context;
}

/** The vault of a running service: its keys, its prefix, the `vault` retention class. */
export function vaultFor(ctx: AppContext, redis: RedisClient = ctx.redis): PseudonymVault {
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const keys = keysFor(prefix);
  // `requestKey`: a stage still running after an erasure must not bring personal values back.
  return new PseudonymVault(redis, {
    prefix,
    currentKey: ctx.keys.vault,
    previousKeys: ctx.keys.vaultPrevious,
    ttlMs: ctx.policy.retention.vault ?? 86_400_000,
    requestKey: (id) => keys.request(id),
  });
}

/** Read access to request records outside the workers (sandbox status, data-subject requests). */
export function requestStoreFor(ctx: AppContext): RequestStore {
  return new RequestStore(ctx.redis, {
    prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX,
    ttlMs: ctx.policy.retention.request ?? 30 * 86_400_000,
    audit: ctx.audit,
  });
}

/** What the data-subject requests (HTTP and CLI) work on; `crm` is absent where no CRM is reachable. */
export function subjectRequestDeps(ctx: AppContext, crm?: CrmPort): SubjectRequestDeps {
  return {
    records: requestStoreFor(ctx),
    vault: vaultFor(ctx),
    suppression: new SuppressionList(ctx.redis, { prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX }),
    audit: ctx.audit,
    crmFields: ctx.crm,
    logger: ctx.logger,
    crm,
    purge: (requestIds) =>
      purgeRequests(
        {
          redis: ctx.redis,
          queues: ctx.queues,
          prefix: ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX,
          vault: vaultFor(ctx),
        },
        requestIds,
      ),
  };
}
