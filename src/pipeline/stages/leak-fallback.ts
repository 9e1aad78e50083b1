import { LeakBlocked } from '../../errors.ts';
import { draftPaths } from '../../metrics.ts';

/**
 * The rep is never left empty-handed because the leak guard refused an LLM request: the first
 * refusal retries once with the free-text note left out (structured fields only); a second refusal
 * falls back to the plain template. The path taken is returned for the request record (the CRM
 * note says it) and counted in `draftbridge_draft_paths_total`.
 */
export type DraftPath = 'llm' | 'llm_without_note' | 'template';

export type LeakFallbackResult<T> =
  { path: 'llm' | 'llm_without_note'; value: T } | { path: 'template'; findings: string[] };

export async function draftWithLeakFallback<T>(
  withNote: () => Promise<T>,
  withoutNote: (() => Promise<T>) | undefined,
): Promise<LeakFallbackResult<T>> {
  try {
    const value = await withNote();
    return { path: 'llm', value };
  } catch (err) {
    if (!(err instanceof LeakBlocked)) throw err;
    if (!withoutNote) return { path: 'template', findings: err.findings };
  }
  try {
    const value = await withoutNote();
    return { path: 'llm_without_note', value };
  } catch (err) {
    if (!(err instanceof LeakBlocked)) throw err;
    return { path: 'template', findings: err.findings };
  }
}

/** Counts the path of a finished draft: bounded label values only. */
export function recordDraftPath(path: DraftPath): void {
  draftPaths.inc({ path });
}
