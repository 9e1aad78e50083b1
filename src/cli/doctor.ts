import { graphDoctor } from '../../connectors/graph/doctor.ts';
import { hubspotDoctor } from '../../connectors/hubspot/doctor.ts';
import { ewsDoctorChecks } from '../../connectors/ews/doctor.ts';
import { llmDoctor } from '../../connectors/llm/doctor.ts';
import type { DoctorCheck, DoctorContext, DoctorProbe } from '../ports.ts';
import type { Settings } from '../settings.ts';
import { redisChecks } from './doctor/redis.ts';
import { doctorFailed, formatDoctor, runDoctor } from './doctor/run.ts';
import { configChecks, publicUrlChecks } from './doctor/service.ts';

export { doctorFailed, formatDoctor, runDoctor };

/** A system this deployment does not use: one "–" row. */
const notInUse =
  (name: string, what: string): DoctorProbe =>
  async () => [{ name, ok: true, skipped: true, detail: `no live check for ${what} yet` }];

/**
 * The checks `draftbridge doctor` runs, in order (the CRM's check finds the mailbox the mail check
 * reads). A new system adds one line here: its connector's doctor.ts exports a DoctorProbe.
 */
export function doctorProbes(settings: Settings): { name: string; probe: DoctorProbe }[] {
  const crm: Record<Settings['DRAFTBRIDGE_CRM'], DoctorProbe> = {
    hubspot: hubspotDoctor,
    salesforce: notInUse('Salesforce', 'Salesforce'),
    dynamics: notInUse('Dynamics', 'Dataverse'),
  };
  const mail: Record<Settings['DRAFTBRIDGE_MAIL'], DoctorProbe> = {
    graph: graphDoctor,
    gmail: notInUse('Gmail', 'Gmail'),
    ews: (ctx) => ewsDoctorChecks(ctx.settings, ctx.settings.EWS_DOCTOR_MAILBOX ?? ctx.findings.mailbox),
  };
  return [
    { name: 'configuration', probe: configChecks },
    { name: 'Redis', probe: redisChecks },
    { name: settings.DRAFTBRIDGE_CRM, probe: crm[settings.DRAFTBRIDGE_CRM] },
    { name: settings.DRAFTBRIDGE_MAIL, probe: mail[settings.DRAFTBRIDGE_MAIL] },
    { name: 'LLM', probe: llmDoctor },
    { name: 'public URL', probe: publicUrlChecks },
  ];
}

export async function doctor(
  ctx: Omit<DoctorContext, 'findings'> & { mailbox?: string },
): Promise<DoctorCheck[]> {
  const { mailbox, ...rest } = ctx;
  return runDoctor(doctorProbes(ctx.settings), { ...rest, findings: mailbox ? { mailbox } : {} });
}

/** `draftbridge doctor` / `config check --connect`: prints the table, exits 1 on any ✗. */
export async function doctorCommand(opts: { mailbox?: string; timeout?: string }): Promise<void> {
  const { loadConfigOrExit } = await import('./config-check.ts');
  const { settings, policy } = await loadConfigOrExit();
  const timeoutMs = Number(opts.timeout ?? 10_000) || 10_000;
  const rows = await doctor({
    settings,
    policy,
    timeoutMs,
    ...(opts.mailbox ? { mailbox: opts.mailbox } : {}),
  });
  console.log(formatDoctor(rows));
  process.exitCode = doctorFailed(rows) ? 1 : 0;
}
