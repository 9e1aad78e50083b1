import { z } from 'zod';
import type { CrmFieldMaps } from '../crm-fields.ts';
import type { Logger } from '../logger.ts';
import type { CrmPort, CrmRecordRef } from '../ports.ts';
import type { AuditTrail } from '../audit/trail.ts';
import type { SuppressionList } from './suppression.ts';
import { keptVaultId, type PseudonymVault } from './vault.ts';

/**
 * Data-subject requests (Art. 15, 17, 21 GDPR), one call each, keyed by the CRM contact id:
 * - access: what draftbridge holds about the person right now (requests, states, the encrypted
 *   personal values decrypted for the answer, and the audit events about them);
 * - erasure: delete every personal value held (vault, request records); the audit trail keeps its
 *   events, which carry only an HMAC reference, never the person;
 * - objection: erasure plus the suppression list and the CRM opt-out, so no draft is ever made again.
 * Each one writes an audit event itself.
 */

/** The request records about one subject (the pipeline's RequestStore implements it). */
export interface SubjectRecords {
  idsForSubject(subject: string): Promise<string[]>;
  get(
    requestId: string,
  ): Promise<{ flow: string; state: string; createdAt: number; updatedAt: number } | null>;
  /** Deletes the records and the subject's index entry. */
  eraseSubject(subject: string, requestIds: readonly string[]): Promise<void>;
}

export interface SubjectRequestDeps {
  records: SubjectRecords;
  vault: Pick<PseudonymVault, 'get' | 'erase'>;
  suppression: SuppressionList;
  audit: AuditTrail;
  crmFields: CrmFieldMaps;
  logger: Logger;
  crm?: CrmPort | undefined;
  /** Removes the requests' traces from every other store (BullMQ jobs, event streams, mailbox links). */
  purge?: ((requestIds: readonly string[]) => Promise<{ jobs: number; streamEntries: number }>) | undefined;
}

const VAULT_SECTIONS = ['contact', 'owner', 'draft'] as const;

/** Data-subject requests name a CRM record: a contact by default, or a lead (`lead:<id>`). */
function parseRecord(contactId: string): CrmRecordRef {
  const m = /^(contact|lead):(.+)$/.exec(contactId);
  if (m?.[1] === 'lead' && m[2]) return { type: 'lead', id: m[2] };
  if (m?.[1] === 'contact' && m[2]) return { type: 'contact', id: m[2] };
  return { type: 'contact', id: contactId };
}

function subjectOf(deps: SubjectRequestDeps, contactId: string): string {
  const record = parseRecord(contactId);
  return deps.audit.subjectRef(deps.crmFields.name, record.type, record.id);
}

export async function accessRequest(deps: SubjectRequestDeps, contactId: string) {
  const { records, vault, audit } = deps;
  const subject = subjectOf(deps, contactId);
  const requestIds = await records.idsForSubject(subject);
  const requests = [];
  for (const id of requestIds.sort()) {
    const record = await records.get(id);
    if (!record) continue;
    const personalData: Record<string, unknown> = {};
    for (const section of VAULT_SECTIONS) {
      const value = await vault.get(id, section, z.unknown());
      if (value !== null) personalData[section] = value;
    }
    // The draft body kept for edit tracking (Art. 15 covers it as long as it exists).
    const kept = await vault.get(keptVaultId(id), 'edit-baseline', z.unknown());
    if (kept !== null) personalData['edit-baseline'] = kept;
    requests.push({
      requestId: id,
      flow: record.flow,
      state: record.state,
      receivedAt: new Date(record.createdAt).toISOString(),
      updatedAt: new Date(record.updatedAt).toISOString(),
      personalDataHeld: personalData,
    });
  }
  const events = (await audit.read({ subject })).map((e) => ({
    ts: e.ts,
    type: e.type,
    outcome: e.outcome,
    requestId: e.requestId,
  }));
  const objected = await deps.suppression.has(subject);
  await audit.append({
    type: 'dsr.access',
    subject,
    actor: 'dpo',
    outcome: 'answered',
    details: { requests: requests.length, events: events.length },
  });
  return { contactId, subjectRef: subject, objected, requests, auditEvents: events };
}

/** `actor`: who asked (the DPO through the CLI or API, or the CRM's own deletion webhook). */
export async function erasureRequest(
  deps: SubjectRequestDeps,
  contactId: string,
  actor = 'dpo',
): Promise<{ requestsErased: number }> {
  const { records, vault, audit } = deps;
  const subject = subjectOf(deps, contactId);
  const requestIds = await records.idsForSubject(subject);
  // Every store under the prefix (jobs, their event-stream entries, mailbox links) where the service
  // can reach them; the vault and the records in any case.
  const purged = deps.purge ? await deps.purge(requestIds) : { jobs: 0, streamEntries: 0 };
  for (const id of requestIds) {
    await vault.erase(id);
    await vault.erase(keptVaultId(id));
  }
  await records.eraseSubject(subject, requestIds);
  await audit.append({
    type: 'dsr.erasure',
    subject,
    actor,
    outcome: 'erased',
    details: { requests: requestIds.length, jobs: purged.jobs, streamEntries: purged.streamEntries },
  });
  // Last: destroy the subject's audit key, so even the trail's references to the person go dark.
  // An objection keeps its suppression entry (it must go on matching), not the audit link.
  await audit.shredSubject(subject);
  return { requestsErased: requestIds.length };
}

export async function objectionRequest(
  deps: SubjectRequestDeps,
  contactId: string,
): Promise<{ requestsErased: number; crmUpdated: boolean }> {
  const subject = subjectOf(deps, contactId);
  await deps.suppression.add(subject);
  const { requestsErased } = await erasureRequest(deps, contactId);
  let crmUpdated = false;
  if (deps.crm) {
    try {
      const record = parseRecord(contactId);
      await deps.crm.updateContact(record, deps.crmFields.fields(record.type).toCrm({ opt_out: 'true' }));
      crmUpdated = true;
    } catch (err) {
      deps.logger.warn(
        { err: { name: err instanceof Error ? err.name : 'unknown' } },
        'objection recorded locally; the CRM opt-out property could not be set',
      );
    }
  }
  await deps.audit.append({
    type: 'dsr.objection',
    subject,
    actor: 'dpo',
    outcome: 'suppressed',
    details: { crmUpdated },
  });
  return { requestsErased, crmUpdated };
}
