import type { AppContext } from '../app.ts';
import { SUPPRESSION_SET } from '../pipeline/stages/fetch-contact.ts';
import type { CrmPort, CrmRecordRef } from '../ports.ts';
import { purgeRequests } from './purge.ts';
import type { PseudonymVault } from './vault.ts';

/**
 * Data-subject requests (Art. 15, 17, 21 GDPR), one call each, keyed by the CRM contact id:
 * - access: what draftbridge holds about the person right now (requests, states, the encrypted
 *   personal values decrypted for the answer, and the audit events about them);
 * - erasure: delete every personal value held (vault, request records); the audit trail keeps its
 *   events, which carry only an HMAC reference, never the person;
 * - objection: erasure plus the suppression list and the CRM opt-out, so no draft is ever made again.
 * Each one writes an audit event itself.
 */
export interface SubjectRequestDeps {
  ctx: AppContext;
  vault: PseudonymVault;
  crm?: CrmPort | undefined;
}

const VAULT_SECTIONS = ['contact', 'owner', 'draft'] as const;

/** Data-subject requests name a CRM record: a contact by default, or a lead (`lead:<id>`). */
function parseRecord(contactId: string): CrmRecordRef {
  const m = /^(contact|lead):(.+)$/.exec(contactId);
  return m ? { type: m[1] as CrmRecordRef['type'], id: m[2]! } : { type: 'contact', id: contactId };
}

function keys(ctx: AppContext, contactId: string) {
  const record = parseRecord(contactId);
  const subject = ctx.audit.subjectRef(ctx.crm.name, record.type, record.id);
  const prefix = ctx.settings.DRAFTBRIDGE_QUEUE_PREFIX;
  return { subject, index: `${prefix}:subject:${subject}`, request: (id: string) => `${prefix}:request:${id}`, suppression: `${prefix}:${SUPPRESSION_SET}` };
}

export async function accessRequest(deps: SubjectRequestDeps, contactId: string) {
  const { ctx, vault } = deps;
  const k = keys(ctx, contactId);
  const requestIds = await ctx.redis.smembers(k.index);
  const requests = [];
  for (const id of requestIds.sort()) {
    const record = await ctx.redis.hgetall(k.request(id));
    if (!record.state) continue;
    const personalData: Record<string, unknown> = {};
    for (const section of VAULT_SECTIONS) {
      const value = await vault.get(id, section);
      if (value !== null) personalData[section] = value;
    }
    requests.push({
      requestId: id,
      flow: record.flow,
      state: record.state,
      receivedAt: new Date(Number(record.createdAt)).toISOString(),
      updatedAt: new Date(Number(record.updatedAt)).toISOString(),
      personalDataHeld: personalData,
    });
  }
  const events = (await ctx.audit.read({ subject: k.subject })).map((e) => ({ ts: e.ts, type: e.type, outcome: e.outcome, requestId: e.requestId }));
  const objected = (await ctx.redis.sismember(k.suppression, k.subject)) === 1;
  await ctx.audit.append({ type: 'dsr.access', subject: k.subject, actor: 'dpo', outcome: 'answered', details: { requests: requests.length, events: events.length } });
  return { contactId, subjectRef: k.subject, objected, requests, auditEvents: events };
}

/** `actor`: who asked (the DPO through the CLI or API, or the CRM's own deletion webhook). */
export async function erasureRequest(deps: SubjectRequestDeps, contactId: string, actor = 'dpo'): Promise<{ requestsErased: number }> {
  const { ctx, vault } = deps;
  const k = keys(ctx, contactId);
  const requestIds = await ctx.redis.smembers(k.index);
  const purged = await purgeRequests(ctx, vault, requestIds);
  await ctx.redis.del(k.index);
  await ctx.audit.append({ type: 'dsr.erasure', subject: k.subject, actor, outcome: 'erased', details: { requests: requestIds.length, jobs: purged.jobs, streamEntries: purged.streamEntries } });
  // Last: destroy the subject's audit key, so even the trail's references to the person go dark.
  // An objection keeps its suppression entry (it must go on matching), not the audit link.
  await ctx.audit.shredSubject(k.subject);
  return { requestsErased: requestIds.length };
}

export async function objectionRequest(deps: SubjectRequestDeps, contactId: string): Promise<{ requestsErased: number; crmUpdated: boolean }> {
  const { ctx } = deps;
  const k = keys(ctx, contactId);
  await ctx.redis.sadd(k.suppression, k.subject);
  const { requestsErased } = await erasureRequest(deps, contactId);
  let crmUpdated = false;
  if (deps.crm) {
    try {
      const record = parseRecord(contactId);
      await deps.crm.updateContact(record, ctx.crm.fields(record.type).toCrm({ opt_out: 'true' }));
      crmUpdated = true;
    } catch (err) {
      ctx.logger.warn({ err: { name: (err as Error).name } }, 'objection recorded locally; the CRM opt-out property could not be set');
    }
  }
  await ctx.audit.append({ type: 'dsr.objection', subject: k.subject, actor: 'dpo', outcome: 'suppressed', details: { crmUpdated } });
  return { requestsErased, crmUpdated };
}
