import type { DoctorCheck, DoctorContext, DoctorProbe } from '../../ports.ts';

/**
 * `draftbridge doctor`: runs each system's checks against the real systems and prints one row per
 * check: ✓ or ✗, what was seen, and for a ✗ the variable to change. A probe that throws or hangs
 * becomes a ✗ row of its own; the run goes on, so one report names every problem.
 */
export async function runDoctor(
  probes: readonly { name: string; probe: DoctorProbe }[],
  ctx: DoctorContext,
): Promise<DoctorCheck[]> {
  const rows: DoctorCheck[] = [];
  for (const { name, probe } of probes) {
    try {
      rows.push(...(await withDeadline(probe(ctx), ctx.timeoutMs * 3, name)));
    } catch (err) {
      rows.push({
        name,
        ok: false,
        detail: `check failed: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
  }
  return rows;
}

async function withDeadline<T>(work: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${name}: no answer within ${ms} ms`)), ms)),
  );
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export function doctorFailed(rows: readonly DoctorCheck[]): boolean {
  return rows.some((r) => !r.ok && !r.skipped);
}

/** The table: mark, check, what was seen, the variable to change (only on ✗). */
export function formatDoctor(rows: readonly DoctorCheck[]): string {
  const mark = (r: DoctorCheck) => (r.skipped ? '–' : r.ok ? '✓' : '✗');
  const width = Math.max(5, ...rows.map((r) => r.name.length));
  const lines = rows.map((r) => {
    const fix = !r.ok && !r.skipped && r.setting ? `  → change ${r.setting}` : '';
    return `${mark(r)} ${r.name.padEnd(width)}  ${r.detail}${fix}`;
  });
  const failed = rows.filter((r) => !r.ok && !r.skipped).length;
  lines.push(
    '',
    failed === 0 ? 'doctor: every check passed' : `doctor: ${failed} check${failed === 1 ? '' : 's'} failed`,
  );
  return lines.join('\n');
}
