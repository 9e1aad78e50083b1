import type { AppContext } from '../../src/app.ts';
import { keysFor } from '../../src/keys.ts';
import { QUEUE_EVENTS_MAX_LEN, QUEUE_NAMES } from '../../src/pipeline/queues.ts';

/**
 * A deployment's history written straight into Redis, the way the service would have left it after a
 * year: audit events spread evenly over the audit class (sealed, indexed and folded by the real
 * sealer, so their links, indexes and review counters are the product's own), subject keys, request
 * records, subject sets and mailbox links for the requests still inside the request class, finished
 * jobs inside the jobs' classes, and the queues' event streams at their cap.
 */
export interface HistoryShape {
  events: number;
  requests: number;
  subjects: number;
}

export interface SeededHistory {
  /** CRM contact id of each subject (index = subject number). */
  contactId(subject: number): string;
  /** The time span the events cover (ms before now). */
  spanMs: number;
}

const DAY = 86_400_000;
const BATCH = 5_000;
const EVENTS_STREAM_CAP = QUEUE_EVENTS_MAX_LEN;

/** What the pipeline writes for one request, in order (types cycle when a request has more events). */
function eventFor(
  step: number,
  request: number,
  recent: boolean,
): { type: string; outcome: string; details: Record<string, string | number> } {
  const flow = 'callback';
  const waiting = recent && request % 50 === 0;
  const decided = request % 20 === 0 ? 'rejected' : 'sent';
  switch (step % 10) {
    case 0:
      return { type: 'request.received', outcome: 'received', details: { flow, source: 'hubspot' } };
    case 1:
      return { type: 'request.fetched', outcome: 'fetched', details: { from: 'received', flow } };
    case 2:
      return { type: 'request.drafted', outcome: 'drafted', details: { from: 'fetched', flow, route: 'eu' } };
    case 3:
      return {
        type: 'request.awaiting_review',
        outcome: 'awaiting_review',
        details: { from: 'drafted', flow },
      };
    case 5:
      return waiting
        ? { type: 'crm.synced', outcome: 'ok', details: { state: 'awaiting_review' } }
        : { type: `request.${decided}`, outcome: decided, details: { from: 'awaiting_review', flow } };
    case 7:
      return { type: 'request.replied', outcome: 'replied', details: { flow } };
    default:
      return { type: 'crm.synced', outcome: 'ok', details: { state: 'awaiting_review' } };
  }
}

export async function seedHistory(
  ctx: AppContext,
  shape: HistoryShape,
  now = Date.now(),
): Promise<SeededHistory> {
  const { redis, audit, policy } = ctx;
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const keys = keysFor(prefix);
  const crm = ctx.crm.name;
  // The whole audit class, its oldest event a minute inside it: the next day's sweep removes a day.
  const spanMs = (policy.retention.audit ?? 365 * DAY) - 60_000;
  const start = now - spanMs;
  const step = spanMs / shape.events;
  const perRequest = Math.max(1, Math.round(shape.events / shape.requests));
  const requestTtl = policy.retention.request ?? 30 * DAY;
  const contactId = seededContactId;
  const refs: string[] = [];
  const wrapped: string[] = [];

  // Subject keys, as a request's opening stores them.
  for (let s = 0; s < shape.subjects; s += BATCH) {
    const pipeline = redis.pipeline();
    for (let j = s; j < Math.min(shape.subjects, s + BATCH); j++) {
      const ref = audit.subjectRef(crm, 'contact', contactId(j));
      const key = audit.expectedSubjectKey(ref).wrapped;
      refs.push(ref);
      wrapped.push(key);
      pipeline.hset(audit.subjectKeysHash, ref, key);
    }
    await pipeline.exec();
  }

  for (let e = 0; e < shape.events; e += BATCH) {
    const pipeline = redis.pipeline();
    for (let j = e; j < Math.min(shape.events, e + BATCH); j++) {
      const at = Math.floor(start + j * step);
      const request = Math.min(shape.requests - 1, Math.floor(j / perRequest));
      const subject = request % shape.subjects;
      const requestId = `hs-${SEED_PORTAL}-${contactId(subject)}-${request}`;
      const event = eventFor(j - request * perRequest, request, now - at < 14 * DAY);
      const prepared = await audit.prepare(
        { ...event, requestId, subject: refs[subject]!, actor: 'pipeline' },
        { wrappedSubjectKey: wrapped[subject]!, at },
      );
      pipeline.xadd(keys.audit.stream, `${at}-${j}`, ...prepared.fields);
      if (j % perRequest === 0 && now - at < requestTtl)
        seedRequestKeys(pipeline, ctx, {
          requestId,
          subject: refs[subject]!,
          contact: contactId(subject),
          at,
          ttl: requestTtl - (now - at),
        });
    }
    await pipeline.exec();
    // Sealed as the service seals: links, the indexes and the review counters, by the product's code.
    await audit.seal();
  }
  await seedQueues(ctx, shape, now);
  return { contactId, spanMs };
}

const SEED_PORTAL = 9_100_001;

/** The CRM contact id of seeded subject number `s`. */
export function seededContactId(s: number): string {
  return String(100_000 + s);
}

type Pipeline = ReturnType<AppContext['redis']['pipeline']>;

/** The keys a finished request keeps while inside the request class. */
function seedRequestKeys(
  pipeline: Pipeline,
  ctx: AppContext,
  r: { requestId: string; subject: string; contact: string; at: number; ttl: number },
): void {
  const keys = keysFor(ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX);
  const record = keys.request(r.requestId);
  pipeline
    .hset(record, {
      requestId: r.requestId,
      state: 'sent',
      flow: 'callback',
      source: 'hubspot',
      account: String(SEED_PORTAL),
      objectType: 'contact',
      contactId: r.contact,
      subject: r.subject,
      createdAt: String(r.at),
      updatedAt: String(r.at + 600_000),
      route: 'eu',
      language: 'de',
      messageId: `AAMkAD${r.requestId}`,
      ownerId: '7001',
      draftPath: 'llm',
      'note:awaiting_review': '90001',
      'note:sent': '90002',
    })
    .pexpire(record, r.ttl)
    .sadd(keys.subject(r.subject), r.requestId)
    .pexpire(keys.subject(r.subject), r.ttl);
  const message = keys.mailWatch.message(`AAMkAD${r.requestId}`);
  const conversation = keys.mailWatch.conversation(`AAQkAD${r.requestId}`);
  pipeline
    .set(message, r.requestId, 'PX', r.ttl)
    .set(conversation, r.requestId, 'PX', r.ttl)
    .sadd(keys.mailWatch.links(r.requestId), message, conversation)
    .pexpire(keys.mailWatch.links(r.requestId), r.ttl);
}

/**
 * Finished jobs inside their classes (completed: a day, intake: the dedupe window) and each queue's
 * event stream at its cap, as BullMQ writes them.
 */
async function seedQueues(ctx: AppContext, shape: HistoryShape, now: number): Promise<void> {
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  const perDay = Math.max(1, Math.round(shape.requests / 365));
  for (const name of QUEUE_NAMES) {
    const days = name === 'intake' ? Math.ceil((ctx.policy.retention.webhookDedupe ?? 3 * DAY) / DAY) : 1;
    const jobs = name === 'mail-events' ? 0 : perDay * days;
    let pipeline = ctx.redis.pipeline();
    for (let i = 0; i < jobs; i++) {
      const jobId = `hs-${SEED_PORTAL}-job-${i}`;
      const finished = now - Math.floor((i / jobs) * days * DAY);
      pipeline
        .hset(`${prefix}:${name}:${jobId}`, {
          name: 'callback',
          data: JSON.stringify({ requestId: jobId }),
          opts: '{"attempts":5}',
          timestamp: String(finished - 5_000),
          processedOn: String(finished - 1_000),
          finishedOn: String(finished),
          returnvalue: 'null',
          atm: '1',
          ats: '1',
        })
        .zadd(`${prefix}:${name}:completed`, finished, jobId);
    }
    for (let i = 0; i < EVENTS_STREAM_CAP; i++) {
      if (i % 2_000 === 0) {
        await pipeline.exec();
        pipeline = ctx.redis.pipeline();
      }
      pipeline.xadd(
        `${prefix}:${name}:events`,
        'MAXLEN',
        '~',
        EVENTS_STREAM_CAP,
        '*',
        'event',
        i % 2 ? 'completed' : 'active',
        'jobId',
        `hs-${SEED_PORTAL}-job-${i % Math.max(1, jobs)}`,
        'prev',
        'waiting',
      );
    }
    await pipeline.exec();
  }
}
