import { distance } from 'fastest-levenshtein';
import { z } from 'zod';
import { draftEditRatio } from '../metrics.ts';
import { FlowName, Language, type Policy } from '../policy.ts';
import { keptVaultId, VaultError, type PseudonymVault } from '../privacy/vault.ts';
import { bodyWithoutSignature } from './mail-text.ts';

/**
 * Edit tracking: how much the rep changed a reviewed draft before sending it. Levenshtein needs
 * both texts, so at delivery the draft body (personal data) is kept encrypted in the vault under
 * the request's retention, read once when the sent version shows up, and erased right then. Only
 * the ratio leaves this module, as a histogram per flow and language; never the text.
 */
const EditBaseline = z.object({ body: z.string(), flow: FlowName, language: Language });
type EditBaseline = z.infer<typeof EditBaseline>;
const SECTION = 'edit-baseline';

/** Whitespace and line endings as Outlook may rewrite them do not count as edits. */
const comparable = (body: string) =>
  bodyWithoutSignature(body)
    .replace(/[ \t]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{2,}/g, '\n\n')
    .trim();

/** 0 when the sent body equals the draft's, 1 when nothing of it is left (distance / longer length). */
export function editRatio(drafted: string, sent: string): number {
  const a = comparable(drafted);
  const b = comparable(sent);
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 0 : distance(a, b) / longer;
}

export class EditTracker {
  private readonly vault: PseudonymVault;
  private readonly policy: Pick<Policy, 'flows' | 'retention'>;
  constructor(vault: PseudonymVault, policy: Pick<Policy, 'flows' | 'retention'>) {
    this.vault = vault;
    this.policy = policy;
  }

  /** At delivery for review: keep the draft body until the rep sends it or the request expires. */
  async keep(requestId: string, baseline: EditBaseline): Promise<void> {
    const retention = this.policy.flows[baseline.flow]?.retention ?? 'request';
    const ttlMs = this.policy.retention[retention] ?? this.policy.retention.request!;
    await this.vault.put(
      keptVaultId(requestId),
      SECTION,
      { ...baseline, body: bodyWithoutSignature(baseline.body) } satisfies EditBaseline,
      ttlMs,
    );
  }

  /** The sent version is here: record the ratio and erase the kept draft. Null without a baseline. */
  async measure(
    requestId: string,
    sentBody: string,
  ): Promise<{ flow: string; language: Language; ratio: number } | null> {
    let baseline: EditBaseline | null;
    try {
      baseline = await this.vault.get(keptVaultId(requestId), SECTION, EditBaseline);
    } catch (err) {
      // A metric must never hold up the approval: an unreadable copy (key rotated out) is dropped.
      if (!(err instanceof VaultError)) throw err;
      baseline = null;
    }
    if (!baseline) {
      await this.forget(requestId);
      return null;
    }
    const ratio = editRatio(baseline.body, sentBody);
    draftEditRatio.observe({ flow: baseline.flow, language: baseline.language }, ratio);
    await this.forget(requestId);
    return { flow: baseline.flow, language: baseline.language, ratio };
  }

  /** The draft was discarded (or the sent version has no body): nothing to compare, nothing to keep. */
  async forget(requestId: string): Promise<void> {
    await this.vault.erase(keptVaultId(requestId));
  }
}
