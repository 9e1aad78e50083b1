import type { ComplianceFacts } from '../facts.ts';
import type { ComplianceDocument } from '../render.ts';
import type { Lang } from './common.ts';
import { deletionDocument } from './deletion.ts';
import { dpiaDocument } from './dpia.ts';
import { informationDocument } from './information.ts';
import { processorsDocument } from './processors.ts';
import { recordDocument } from './record.ts';
import { tomsDocument } from './toms.ts';

export { TO_COMPLETE, type Lang } from './common.ts';

/** The DPO's documents, in the order a reviewer reads them. */
const BUILDERS = [
  recordDocument,
  dpiaDocument,
  tomsDocument,
  deletionDocument,
  processorsDocument,
  informationDocument,
];

export function complianceDocuments(facts: ComplianceFacts, langs: readonly Lang[]): ComplianceDocument[] {
  return BUILDERS.flatMap((build) => langs.map((lang) => build(facts, lang)));
}
