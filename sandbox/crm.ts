import { DATAVERSE_COLUMNS, DATAVERSE_ENTITIES } from '../connectors/dynamics/setup.ts';
import type { DataverseSimulator, WebhookAuth } from './dynamics/simulator.ts';
import { SALESFORCE_FIELDS, SALESFORCE_OBJECTS } from '../connectors/salesforce/setup.ts';
import { to18, type SalesforceSimulator } from './salesforce/simulator.ts';
import { CrmFields, type CrmName, type CrmObjectType } from '../src/crm-fields.ts';

/**
 * The sandbox's invented people in each CRM's own shape: the same six people and two owners as in
 * HubSpot, with record ids in that CRM's format, field names from the built-in map, and the trigger
 * that CRM would send (an Outbound Message for Salesforce).
 */
export interface SandboxPerson {
  id: string;
  label: string;
  properties: Record<string, string>;
}
export interface SandboxOwner {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
}

/** A 15-character Salesforce id with a readable body, made case-safe (18 characters). */
const sfId = (prefix: string, n: string) => to18(`${prefix}${'Dr'}${n.padStart(10, '0')}`);

export const SANDBOX_SALESFORCE_ORG_ID = sfId('00D', '62515');

/** Readable Dataverse GUIDs: the sandbox number in the last group, the record kind in the fourth. */
const dvId = (kind: '8000' | '9000' | 'a000', n: string) =>
  `00000000-0000-4000-${kind}-${n.padStart(12, '0')}`;
export const SANDBOX_DATAVERSE_ORG_ID = '00000000-0000-4000-b000-000000062515';

/** Which record a sandbox person is in a CRM that keeps leads apart: the new lead is a Lead. */
export function sandboxRecord(crm: CrmName, person: SandboxPerson): { type: CrmObjectType; id: string } {
  const type: CrmObjectType = person.properties.message !== undefined ? 'lead' : 'contact';
  if (crm === 'salesforce') return { type, id: sfId(type === 'lead' ? '00Q' : '003', person.id) };
  if (crm === 'dynamics') return { type, id: dvId(type === 'lead' ? '9000' : '8000', person.id) };
  return { type: 'contact', id: person.id };
}

export function sandboxOwnerId(crm: CrmName, owner: SandboxOwner): string {
  if (crm === 'salesforce') return sfId('005', owner.id);
  if (crm === 'dynamics') return dvId('a000', owner.id);
  return owner.id;
}

/** A HubSpot-named person → logical values → the target CRM's field names for that record kind. */
function inCrm(
  crm: CrmName,
  type: CrmObjectType,
  properties: Record<string, string>,
): Record<string, string> {
  const from = new CrmFields('hubspot', 'contact');
  const to = new CrmFields(crm, type);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    const logical = from.logical(name);
    if (logical && to.has(logical)) out[to.name(logical)] = value;
  }
  return out;
}

export function seedSalesforceSandbox(
  sim: SalesforceSimulator,
  people: SandboxPerson[],
  owners: SandboxOwner[],
): void {
  // `draftbridge salesforce setup` has run in this org.
  for (const object of SALESFORCE_OBJECTS)
    for (const f of SALESFORCE_FIELDS)
      sim.customFields.set(`${object}.${f.name}`, {
        fullName: `${object}.${f.name}`,
        label: f.label,
        type: f.type,
      });
  const ownerIds = new Map(owners.map((o) => [o.id, sandboxOwnerId('salesforce', o)]));
  for (const o of owners)
    sim.seed('User', {
      Id: ownerIds.get(o.id)!,
      Email: o.email,
      Username: o.email,
      FirstName: o.firstName,
      LastName: o.lastName,
      IsActive: true,
    });
  for (const p of people) {
    const record = sandboxRecord('salesforce', p);
    const fields: Record<string, unknown> = inCrm('salesforce', record.type, p.properties);
    if (fields.OwnerId) fields.OwnerId = ownerIds.get(String(fields.OwnerId)) ?? fields.OwnerId;
    if (fields.Draftbridge_Opt_Out__c !== undefined)
      fields.Draftbridge_Opt_Out__c = fields.Draftbridge_Opt_Out__c === 'true';
    const company = fields['Account.Name'];
    delete fields['Account.Name'];
    if (company) fields.AccountId = sim.seed('Account', { Id: sfId('001', p.id), Name: company }).Id;
    sim.seed(record.type === 'lead' ? 'Lead' : 'Contact', {
      ...fields,
      Id: record.id,
      Callback_Requested__c: false,
      Draftbridge_Opt_Out__c: fields.Draftbridge_Opt_Out__c ?? false,
    });
  }
}

/**
 * What the admin's Flow does when a rep ticks "Rückruf vereinbaren" (or a lead arrives): the record
 * changes and Salesforce sends an Outbound Message to draftbridge. Returns the request id it starts.
 */
export async function fireSalesforceTrigger(
  sim: SalesforceSimulator,
  person: SandboxPerson,
  webhookUrl: string,
): Promise<{ url: string; status: number; acked: boolean; requestId: string; notificationId: string }> {
  const record = sandboxRecord('salesforce', person);
  const objectType = record.type === 'lead' ? 'Lead' : 'Contact';
  let fields: string[];
  let url = webhookUrl;
  // The admin's "new lead" Flow posts to the endpoint with ?event=created (see README).
  if (record.type === 'lead') {
    fields = ['CreatedDate'];
    url = `${webhookUrl}?event=created`;
  } else {
    sim.records.Contact.get(record.id)!.Callback_Requested__c = true;
    fields = ['Callback_Requested__c'];
  }
  const sent = await sim.sendOutboundMessage({ url, objectType, ids: [record.id], fields });
  const notificationId = sent.notificationIds[0]!;
  return {
    url,
    status: sent.status,
    acked: sent.acked,
    requestId: `sf-${sim.orgId.slice(0, 15)}-${notificationId}`,
    notificationId,
  };
}

/** The CRM side of a sandbox request, for `draftbridge demo`: the status field and the notes written. */
export function salesforceView(
  sim: SalesforceSimulator,
  record: { objectType: CrmObjectType; contactId: string },
): { status: string | null; notes: string[] } {
  const object = record.objectType === 'lead' ? 'Lead' : 'Contact';
  const row = sim.records[object].get(record.contactId);
  const tasks = [...sim.records.Task.values()].filter((t) => t.WhoId === record.contactId);
  return {
    status: (row?.Draftbridge_Status__c as string | undefined) ?? null,
    notes: tasks.map((t) => String(t.Description ?? '')),
  };
}

export function seedDataverseSandbox(
  sim: DataverseSimulator,
  people: SandboxPerson[],
  owners: SandboxOwner[],
): void {
  // `draftbridge dynamics setup` has run in this environment.
  for (const entity of DATAVERSE_ENTITIES)
    for (const c of DATAVERSE_COLUMNS) sim.defineAttribute(entity, `new_${c.name.toLowerCase()}`, c.type);
  for (const o of owners)
    sim.seed('systemuser', {
      id: sandboxOwnerId('dynamics', o),
      internalemailaddress: o.email,
      firstname: o.firstName,
      lastname: o.lastName,
    });
  for (const p of people) {
    const record = sandboxRecord('dynamics', p);
    const fields: Record<string, unknown> = inCrm('dynamics', record.type, p.properties);
    const owner = owners.find((o) => o.id === fields._ownerid_value);
    if (owner) fields._ownerid_value = sandboxOwnerId('dynamics', owner);
    const company = fields['parentcustomerid_account.name'];
    delete fields['parentcustomerid_account.name'];
    if (company)
      fields._parentcustomerid_value = sim.seed('account', {
        id: dvId('8000', p.id).replace('-8000-', '-c000-'),
        name: company,
      }).id;
    sim.seed(record.type, {
      ...fields,
      id: record.id,
      new_callbackrequested: false,
      new_draftbridgeoptout: fields.new_draftbridgeoptout === 'true',
    });
  }
}

/**
 * What the registered step does when a rep sets "Rückruf vereinbaren" (an Update whose Target holds
 * the changed column) or a lead is created (a Create): Dataverse posts the execution context.
 */
export async function fireDataverseTrigger(
  sim: DataverseSimulator,
  person: SandboxPerson,
  webhookUrl: string,
  auth: WebhookAuth,
): Promise<{ url: string; status: number; requestId: string; operationId: string }> {
  const record = sandboxRecord('dynamics', person);
  if (record.type === 'contact') sim.records.contact.get(record.id)!.new_callbackrequested = true;
  const sent = await sim.sendWebhook({
    url: webhookUrl,
    auth,
    message: record.type === 'lead' ? 'Create' : 'Update',
    entity: record.type,
    id: record.id,
    attributes:
      record.type === 'lead' ? ['companyname', 'createdon'] : ['new_callbackrequested', 'modifiedon'],
  });
  return {
    url: webhookUrl,
    status: sent.status,
    requestId: `dv-${sent.delivery.correlationId}-${sent.delivery.operationId}`,
    operationId: sent.delivery.operationId,
  };
}

export function dataverseView(
  sim: DataverseSimulator,
  record: { objectType: CrmObjectType; contactId: string },
): { status: string | null; notes: string[] } {
  const row = sim.records[record.objectType].get(record.contactId);
  const notes = [...sim.records.annotation.values()].filter((a) => a._objectid_value === record.contactId);
  return {
    status: (row?.new_draftbridgestatus as string | undefined) ?? null,
    notes: notes.map((n) => String(n.notetext ?? '')),
  };
}
