import { createHmac } from 'node:crypto';

/**
 * A mailbox named without its address: a keyed hash (HMAC-SHA256 with the audit key, 128 bits), so
 * Gmail push jobs, metric labels and logs can say which mailbox without carrying personal data.
 * The address itself lives only in the watch state in Redis (under the store's retention).
 */
export function mailboxRef(key: Buffer, address: string): string {
  return createHmac('sha256', key)
    .update(`mailbox:${address.trim().toLowerCase()}`)
    .digest('hex')
    .slice(0, 32);
}

/** Where the Gmail watch keeps a mailbox's state; the push route checks it before queueing. */
export function gmailWatchKey(prefix: string, ...parts: string[]): string {
  return [prefix, 'gmailwatch', ...parts].join(':');
}
