import type { RequestRecord, RequestState, RequestStore } from './request-state.ts';

/**
 * One open request per contact and flow: a rep expects one draft to review, not one per click. A
 * trigger while an earlier request of the same subject and flow is still open (not yet sent,
 * rejected or ended otherwise) and younger than the policy's `defaults.openRequestWindow` is a repeat:
 * the intake records it (state `suppressed`, reason `repeat`) and adds no draft. "Earlier" is decided by creation time, then by id, so of two triggers that
 * race each other exactly one goes on.
 */
const OPEN: ReadonlySet<RequestState> = new Set(['received', 'fetched', 'drafted', 'awaiting_review']);

export async function earlierOpenRequest(
  requests: Pick<RequestStore, 'idsForSubject' | 'get'>,
  record: Pick<RequestRecord, 'requestId' | 'subject' | 'flow' | 'createdAt'>,
  windowMs: number,
): Promise<string | null> {
  if (windowMs <= 0) return null;
  const ids = (await requests.idsForSubject(record.subject)).filter((id) => id !== record.requestId);
  const others = await Promise.all(ids.map((id) => requests.get(id)));
  const earlier = others.filter(
    (r): r is RequestRecord =>
      r !== null &&
      r.flow === record.flow &&
      OPEN.has(r.state) &&
      r.createdAt >= record.createdAt - windowMs &&
      (r.createdAt < record.createdAt ||
        (r.createdAt === record.createdAt && r.requestId < record.requestId)),
  );
  earlier.sort((a, b) => a.createdAt - b.createdAt);
  return earlier[0]?.requestId ?? null;
}
