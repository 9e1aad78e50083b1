import { readFile } from 'node:fs/promises';
import type { AuditTrail } from '../audit/trail.ts';
import type { Policy } from '../policy.ts';
import type { Settings } from '../settings.ts';
import type { Lang } from './documents/index.ts';
import { configFacts, type ComplianceFacts, type MeasuredFacts } from './facts.ts';

/** The entry points `draftbridge compliance` and `GET /privacy/compliance` share. */

export const LANGUAGES: Record<'de' | 'en' | 'both', Lang[]> = { de: ['de'], en: ['en'], both: ['de', 'en'] };

/** The policy file as bytes: its sha256 is what the documents' header states. */
export async function readPolicyFile(path: string): Promise<{ path: string; text: Buffer }> {
  return { path, text: await readFile(path) };
}

export function complianceFacts(
  policy: Policy,
  settings: Settings,
  policyFile: { path: string; text: Buffer | string },
  measured: MeasuredFacts,
  now = new Date(),
): ComplianceFacts {
  return { generatedAt: now.toISOString(), config: configFacts(policy, settings, policyFile), measured };
}

/** Generating is audited: which policy (its hash), how many documents, which languages and format. No personal data. */
export async function auditGeneration(
  audit: AuditTrail,
  actor: string,
  facts: ComplianceFacts,
  detail: { documents: number; languages: readonly Lang[]; format: string },
): Promise<void> {
  await audit.append({
    type: 'compliance.generated',
    actor,
    outcome: 'ok',
    details: {
      policySha256: facts.config.policySha256,
      documents: detail.documents,
      languages: detail.languages.join(','),
      format: detail.format,
      sandbox: facts.config.sandbox,
    },
  });
}
