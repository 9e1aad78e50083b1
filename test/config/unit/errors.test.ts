import { describe, expect, it } from 'vitest';
import {
  describeError,
  DraftbridgeError,
  LeakBlocked,
  RequestNotFound,
  TimeoutError,
  UpstreamRateLimited,
  UpstreamRejected,
  UpstreamUnavailable,
} from '../../../src/errors.ts';
import { InvalidTransition } from '../../../src/pipeline/request-state.ts';
import { VaultError } from '../../../src/privacy/vault.ts';
import { withTimeout } from '../../../connectors/rate-window.ts';

describe('errors carry a stable code and a retryable flag', () => {
  it.each([
    [new UpstreamRateLimited('hubspot', 1000), 'ERR_UPSTREAM_RATE_LIMITED', true],
    [new UpstreamUnavailable('graph', 'down', 503), 'ERR_UPSTREAM_UNAVAILABLE', true],
    [new TimeoutError(50), 'ERR_TIMEOUT', true],
    [new UpstreamRejected('llm', 400, 'refused'), 'ERR_UPSTREAM_REJECTED', false],
    [new LeakBlocked(['EMAIL']), 'ERR_LEAK_BLOCKED', false],
    [new RequestNotFound('req-1'), 'ERR_REQUEST_NOT_FOUND', false],
    [new InvalidTransition('req-1', 'sent', 'drafted'), 'ERR_INVALID_TRANSITION', false],
    [new VaultError('tampered'), 'ERR_VAULT', false],
  ])('%s', (err, code, retryable) => {
    expect(err).toBeInstanceOf(DraftbridgeError);
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
    expect(describeError(err)).toMatchObject({ code, retryable, name: err.constructor.name });
  });

  it('treats anything else as unexpected and retryable (BullMQ default; the last attempt dead-letters)', () => {
    expect(describeError(new TypeError('x is undefined'))).toEqual({
      code: 'ERR_UNEXPECTED',
      retryable: true,
      name: 'TypeError',
      message: 'x is undefined',
    });
    expect(describeError('a string')).toMatchObject({ code: 'ERR_UNEXPECTED', message: 'a string' });
  });

  it('withTimeout rejects with a coded TimeoutError, not an ad-hoc name', async () => {
    await expect(withTimeout(new Promise(() => undefined), 5)).rejects.toMatchObject({
      code: 'ERR_TIMEOUT',
      retryable: true,
      timeoutMs: 5,
    });
  });
});
