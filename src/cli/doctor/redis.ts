import { Redis } from 'ioredis';
import type { DoctorCheck, DoctorContext } from '../../ports.ts';
import { isClusterUrl, parseClusterUrl } from '../../redis.ts';
import { networkReason } from '../../errors.ts';

/**
 * Redis: reachable, the password accepted, and set up to keep queued work: AOF persistence (a
 * restart must not lose jobs) and `maxmemory-policy noeviction` (evicting a BullMQ key corrupts the
 * queue). Read through INFO, which managed Redis services allow where CONFIG GET is disabled.
 */
export async function redisChecks(ctx: DoctorContext): Promise<DoctorCheck[]> {
  const url = ctx.settings.REDIS_URL;
  const target = isClusterUrl(url) ? clusterSeed(url) : url;
  const where = safeWhere(target);
  const redis = new Redis(target, {
    lazyConnect: true,
    connectTimeout: ctx.timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // The connection's own error (ECONNREFUSED, WRONGPASS) comes as an event; connect() then only says "closed".
  let cause: unknown;
  redis.on('error', (err) => (cause ??= err));
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    redis.disconnect();
    return [connectionProblem(cause ?? err, where)];
  }
  try {
    const persistence = parseInfo(await redis.info('persistence'));
    const memory = parseInfo(await redis.info('memory'));
    const server = parseInfo(await redis.info('server'));
    const aof = persistence.aof_enabled === '1';
    const policy = memory.maxmemory_policy ?? 'unknown';
    return [
      { name: 'Redis', ok: true, detail: `connected to ${where} (Redis ${server.redis_version ?? '?'})` },
      aof
        ? { name: 'Redis persistence', ok: true, detail: 'AOF on (appendonly yes)' }
        : {
            name: 'Redis persistence',
            ok: false,
            detail: 'AOF is off: a restart loses queued work; set appendonly yes (appendfsync everysec)',
            setting: 'Redis config appendonly',
          },
      policy === 'noeviction'
        ? { name: 'Redis maxmemory-policy', ok: true, detail: 'noeviction' }
        : {
            name: 'Redis maxmemory-policy',
            ok: false,
            detail: `${policy}: Redis may evict queue keys under memory pressure; set maxmemory-policy noeviction`,
            setting: 'Redis config maxmemory-policy',
          },
    ];
  } finally {
    redis.disconnect();
  }
}

function connectionProblem(err: unknown, where: string): DoctorCheck {
  const message = err instanceof Error ? err.message : String(err);
  if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(message)) {
    return {
      name: 'Redis',
      ok: false,
      detail: `${where} refused the credentials (authentication failed: ${message.split('\n')[0]})`,
      setting: 'REDIS_URL (user:password)',
    };
  }
  const reason = networkReason(err) ?? message.split('\n')[0];
  return {
    name: 'Redis',
    ok: false,
    detail: `${where} not reachable (${reason}); check host, port and firewall`,
    setting: 'REDIS_URL',
  };
}

function clusterSeed(url: string): string {
  const parsed = parseClusterUrl(url);
  const seed = parsed?.nodes[0];
  if (!parsed || !seed) return url;
  const scheme = url.startsWith('rediss') ? 'rediss' : 'redis';
  const auth = parsed.password
    ? `${encodeURIComponent(parsed.username ?? '')}:${encodeURIComponent(parsed.password)}@`
    : '';
  return `${scheme}://${auth}${seed.host}:${seed.port}`;
}

function safeWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return '(REDIS_URL)';
  }
}

function parseInfo(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split(/\r?\n/)
      .filter((l) => l.includes(':') && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]),
  );
}
