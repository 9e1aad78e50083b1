/**
 * Every Redis key draftbridge writes beside BullMQ's own, named in one place (as BullMQ's QueueKeys
 * does for a queue). All live under the deployment's queue prefix, so one prefix is one deployment:
 * tests isolate by it, and `SCAN <prefix>*` finds everything to clean up. Values hold ids and codes
 * only, except the vault (encrypted). Webhook dedupe needs no key of ours: the intake job id is the
 * request id, and BullMQ's job key is the record of it.
 */
export interface DraftbridgeKeys {
  readonly prefix: string;
  /** Hash: one request's state and facts (RequestStore). */
  request(requestId: string): string;
  /** Set: the request ids about one data subject (HMAC reference), for access and erasure. */
  subject(subjectRef: string): string;
  /** Set: subject references that objected (Art. 21); never a draft for them again. */
  readonly suppressed: string;
  /** Hash: the encrypted personal values of one request, one field per section. */
  vault(requestId: string): string;
  /** Stream of audit events, their links, the sealed chain head and the link the chain starts from after a trim. */
  readonly audit: {
    readonly stream: string;
    readonly links: string;
    readonly head: string;
    readonly anchor: string;
    /** String: the stream id of the last event a trim removed (the anchor link is its link). */
    readonly anchorId: string;
    /** Sorted set: the stream ids of the events naming one (sealed) subject reference, scored by time. */
    subjectIndex(sealedRef: string): string;
    /** Sorted set: the stream ids of the events about one request, scored by time. */
    requestIndex(requestId: string): string;
    /** String: the signed checkpoint (head id, count, link) the last successful verification left. */
    readonly checkpoint: string;
    /** Hash: the last verification of each kind (`incremental`, `full`) as JSON. */
    readonly verifications: string;
  };
  /** The review page's ledger (src/ops/review-ledger.ts): counters and lists folded from the audit trail. */
  readonly ops: {
    /** String: the audit stream id up to which the ledger has folded. */
    readonly cursor: string;
    /** Sorted set: requests awaiting review, by when they arrived there. */
    readonly awaiting: string;
    /** Sorted set and hash: dead-lettered requests by time, and their stage and error code. */
    readonly deadLetters: string;
    readonly deadLetterInfo: string;
    /** Sorted set and hash: the last 50 requests failed for a reason of their own, and that reason. */
    readonly failed: string;
    readonly failedInfo: string;
    /** Hash: one day's counters. */
    day(day: string): string;
    /** Hashes: blocked requests per special category, leak-guard refusals per type. */
    readonly blocked: string;
    readonly leakGuard: string;
    /** Strings: the last audit verification and retention run, as JSON. */
    readonly lastAuditVerified: string;
    readonly lastRetentionRun: string;
    /** String: held by the process folding by hand (`ReviewLedger.catchUp`). */
    readonly foldLock: string;
  };
  /** The LLM circuit breaker of one route: consecutive failures and the open flag. */
  circuit(route: string): { readonly failures: string; readonly open: string };
  /** Sorted set: the bookings of one shared provider quota (RedisRateBudget), by booked time. */
  rateBudget(name: string): string;
  /** Graph change-notification bookkeeping (MailWatch). */
  readonly mailWatch: {
    /** String: the subscription ids of a mailbox; expires with them. */
    mailbox(mailbox: string): string;
    /** String: held while a mailbox is being subscribed, so parallel deliveries do not double it. */
    lock(mailbox: string): string;
    /** String: set while subscribing a mailbox failed; expires after the backoff (value: failures so far). */
    failing(mailbox: string): string;
    /** Hash: mailbox, folder and expiry of one subscription. */
    subscription(id: string): string;
    /** Sorted set: subscription ids by expiry, for renewal. */
    readonly expiry: string;
    /** String: the request a message belongs to. */
    message(messageId: string): string;
    /** String: the request a conversation belongs to (replies). */
    conversation(conversationId: string): string;
    /** Set: the message and conversation link keys of one request, so an erasure finds them without a scan. */
    links(requestId: string): string;
  };
}

export function keysFor(prefix: string): DraftbridgeKeys {
  const key = (...parts: string[]) => [prefix, ...parts].join(':');
  return {
    prefix,
    request: (requestId) => key('request', requestId),
    subject: (subjectRef) => key('subject', subjectRef),
    suppressed: key('suppressed'),
    vault: (requestId) => key('vault', requestId),
    audit: {
      stream: key('audit'),
      links: key('audit', 'links'),
      head: key('audit', 'head'),
      anchor: key('audit', 'anchor'),
      anchorId: key('audit', 'anchor-id'),
      subjectIndex: (sealedRef) => key('audit', 'subject', sealedRef),
      requestIndex: (requestId) => key('audit', 'request', requestId),
      checkpoint: key('audit', 'checkpoint'),
      verifications: key('audit', 'verifications'),
    },
    ops: {
      cursor: key('ops', 'cursor'),
      awaiting: key('ops', 'awaiting'),
      deadLetters: key('ops', 'dead-letters'),
      deadLetterInfo: key('ops', 'dead-letter-info'),
      failed: key('ops', 'failed'),
      failedInfo: key('ops', 'failed-info'),
      day: (day) => key('ops', 'day', day),
      blocked: key('ops', 'blocked'),
      leakGuard: key('ops', 'leak-guard'),
      lastAuditVerified: key('ops', 'last', 'audit-verified'),
      lastRetentionRun: key('ops', 'last', 'retention-run'),
      foldLock: key('ops', 'fold-lock'),
    },
    circuit: (route) => ({
      failures: key('circuit', route, 'failures'),
      open: key('circuit', route, 'open'),
    }),
    rateBudget: (name) => key('budget', name),
    mailWatch: {
      mailbox: (mailbox) => key('mailwatch', 'mailbox', mailbox),
      lock: (mailbox) => key('mailwatch', 'lock', mailbox),
      failing: (mailbox) => key('mailwatch', 'failing', mailbox),
      subscription: (id) => key('mailwatch', 'subscription', id),
      expiry: key('mailwatch', 'expiry'),
      message: (messageId) => key('mailwatch', 'message', messageId),
      conversation: (conversationId) => key('mailwatch', 'conversation', conversationId),
      links: (requestId) => key('mailwatch', 'links', requestId),
    },
  };
}
