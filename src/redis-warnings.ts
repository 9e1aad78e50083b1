import type { Logger } from './logger.ts';

/**
 * Redis connection errors as log lines an operator can act on: the first one at once, then at most
 * one per `everyMs` with how many were held back (a bad REDIS_URL otherwise floods the log with
 * hundreds of lines a minute), and a refused password named as such, not as "not reachable".
 */
export function redisErrorReporter(
  logger: Logger,
  source: string,
  everyMs = 30_000,
  now: () => number = Date.now,
): (err: Error) => void {
  let last = -Infinity;
  let held = 0;
  return (err) => {
    const t = now();
    if (t - last < everyMs) {
      held++;
      return;
    }
    last = t;
    const auth = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(err.message);
    const hint = auth
      ? 'Redis refused the credentials: check the user and password in REDIS_URL'
      : 'Redis not reachable: check REDIS_URL (host, port, rediss:// for TLS) and that Redis runs; retrying';
    logger.warn(
      {
        source,
        err: { message: err.message, code: (err as NodeJS.ErrnoException).code },
        ...(held > 0 ? { suppressed: held } : {}),
      },
      hint,
    );
    held = 0;
  };
}
