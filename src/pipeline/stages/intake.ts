import type { PipelineDeps } from '../deps.ts';
import { settle } from '../settled.ts';
import { earlierOpenRequest } from '../open-request.ts';
import type { VaultContact, VaultOwner } from '../vault-sections.ts';
import { CallbackRequest } from '../jobs.ts';
import type { StageDefinition } from '../stage-runner.ts';
import type { Policy } from '../../policy.ts';
import type { CrmPort } from '../../ports.ts';

/**
 * Stage 1 (intake): open the request, honour the suppression list and the CRM opt-out, read only the
 * policy's fields for the flow, resolve the owner's mailbox, and put the values in the vault.
 */
export type FetchContactDeps = Pick<
  PipelineDeps,
  'policy' | 'audit' | 'crmFields' | 'crm' | 'vault' | 'requests' | 'suppression'
>;

export async function fetchContact(
  deps: FetchContactDeps,
  job: CallbackRequest,
): Promise<'next' | 'done' | 'crm-note'> {
  const { policy, audit, crm, vault, requests } = deps;
  const subject = audit.subjectRef(deps.crmFields.name, job.objectType, job.contactId);
  // The suppression list is read while the record opens (no round trip of its own to wait for); its
  // answer counts only after.
  const [{ record }, suppressed] = await Promise.all([
    requests.open({
      requestId: job.requestId,
      flow: job.flow,
      source: job.source,
      account: job.account,
      objectType: job.objectType,
      contactId: job.contactId,
      subject,
    }),
    settle(deps.suppression.has(subject)),
  ]);
  // A retried job after a crash: the state says how far it got.
  if (record.state === 'fetched') return 'next';
  /** Ends the request here, with the reason on the record and in its audit event. */
  const stop = (state: 'failed' | 'suppressed', reason: string) =>
    requests.transition(job.requestId, state, {
      actor: 'intake',
      details: { reason },
      facts: { reason },
      seen: record,
    });
  if (record.state !== 'received') return 'done';

  const flow = policy.flows[job.flow];
  if (!flow) {
    await stop('failed', 'unknown_flow');
    return 'done';
  }

  if (suppressed.unwrap()) {
    await stop('suppressed', 'suppression_list');
    return 'done';
  }

  const open = await earlierOpenRequest(requests, record, policy.defaults.openRequestWindow);
  if (open) {
    await stop('suppressed', 'repeat');
    return 'done';
  }

  const values = await readMinimalContact(deps, job, flow.fields);
  if (!values) {
    await stop('failed', 'contact_not_found');
    return 'done';
  }
  if (isTrue(values.opt_out)) {
    await stop('suppressed', 'crm_opt_out');
    return 'done';
  }
  if (!values.email) {
    await stop('failed', 'contact_without_email');
    return 'crm-note';
  }

  const ownerId = values.owner;
  const owner = ownerId ? await crm.getOwner(ownerId) : null;
  if (!owner) {
    await stop('failed', 'no_owner_mailbox');
    return 'crm-note';
  }

  const { opt_out: _optOut, ...kept } = values;
  // The values go into the vault with the state that says they are there (one script).
  const sections = vault.sealMany(job.requestId, {
    contact: { properties: kept } satisfies VaultContact,
    owner: {
      id: owner.id,
      email: owner.email,
      firstName: owner.firstName,
      lastName: owner.lastName,
    } satisfies VaultOwner,
  });
  await requests.transition(job.requestId, 'fetched', {
    actor: 'intake',
    details: { fields: Object.keys(kept).length },
    facts: { ownerId: owner.id },
    seen: record,
    sections,
  });
  return 'next';
}

/**
 * The contact's values by logical name, or null when the CRM has no such contact. Minimisation: the
 * flow's fields, plus the opt-out flag we must honour before anything else.
 */
async function readMinimalContact(
  deps: Pick<FetchContactDeps, 'crm' | 'crmFields'>,
  job: CallbackRequest,
  flowFields: readonly string[],
) {
  const fields = deps.crmFields.fields(job.objectType);
  const logical = [...new Set([...flowFields, 'opt_out'])];
  const contact = await deps.crm.getContact(
    { type: job.objectType, id: job.contactId },
    fields.namesOf(logical),
  );
  return contact ? fields.toLogical(contact.properties, logical) : null;
}

function isTrue(value: string | null | undefined): boolean {
  return value !== null && value !== undefined && /^(true|1|yes|ja)$/i.test(value.trim());
}

/** intake: CRM event → request record, minimal contact fields and owner mailbox in the vault. */
export function intakeStage(_policy: Policy, crm: Pick<CrmPort, 'batchesCalls'>): StageDefinition<'intake'> {
  return {
    queue: 'intake',
    // Where contact reads go out as one batch call for the jobs waiting at once (HubSpot), a burst held
    // back by the portal's budget costs a call per 32 requests, not per 8. No queue limiter: every
    // HubSpot call is booked in the portal's shared budget (the connector).
    concurrency: crm.batchesCalls ? 32 : 8,
    run: (deps, job) => fetchContact(deps, CallbackRequest.parse(job.data)),
  };
}
