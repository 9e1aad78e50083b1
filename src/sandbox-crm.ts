import { SALESFORCE_FIELDS, SALESFORCE_OBJECTS } from '../connectors/salesforce/setup.ts';
import { to18, type SalesforceSimulator } from '../connectors/salesforce/simulator.ts';
import { CrmFields, type CrmName, type CrmObjectType } from './crm-fields.ts';

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

/** Which record a sandbox person is in a CRM that keeps leads apart: the new lead is a Lead. */
export function sandboxRecord(crm: CrmName, person: SandboxPerson): { type: CrmObjectType; id: string } {
  const type: CrmObjectType = person.properties.message !== undefined ? 'lead' : 'contact';
  if (crm === 'salesforce') return { type, id: sfId(type === 'lead' ? '00Q' : '003', person.id) };
  return { type: 'contact', id: person.id };
}

export function sandboxOwnerId(crm: CrmName, owner: SandboxOwner): string {
  return crm === 'salesforce' ? sfId('005', owner.id) : owner.id;
}

/** A HubSpot-named person → logical values → the target CRM's field names for that record kind. */
function inCrm(crm: CrmName, type: CrmObjectType, properties: Record<string, string>): Record<string, string> {
  const from = new CrmFields('hubspot', 'contact');
  const to = new CrmFields(crm, type);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(properties)) {
    const logical = from.logical(name);
    if (logical && to.has(logical)) out[to.name(logical)] = value;
  }
  return out;
}

export function seedSalesforceSandbox(sim: SalesforceSimulator, people: SandboxPerson[], owners: SandboxOwner[]): void {
  // `draftbridge salesforce setup` has run in this org.
  for (const object of SALESFORCE_OBJECTS) for (const f of SALESFORCE_FIELDS) sim.customFields.set(`${object}.${f.name}`, { fullName: `${object}.${f.name}`, label: f.label, type: f.type });
  const ownerIds = new Map(owners.map((o) => [o.id, sandboxOwnerId('salesforce', o)]));
  for (const o of owners) sim.seed('User', { Id: ownerIds.get(o.id)!, Email: o.email, Username: o.email, FirstName: o.firstName, LastName: o.lastName, IsActive: true });
  for (const p of people) {
    const record = sandboxRecord('salesforce', p);
    const fields: Record<string, unknown> = inCrm('salesforce', record.type, p.properties);
    if (fields.OwnerId) fields.OwnerId = ownerIds.get(String(fields.OwnerId)) ?? fields.OwnerId;
    if (fields.Draftbridge_Opt_Out__c !== undefined) fields.Draftbridge_Opt_Out__c = fields.Draftbridge_Opt_Out__c === 'true';
    const company = fields['Account.Name'];
    delete fields['Account.Name'];
    if (company) fields.AccountId = sim.seed('Account', { Id: sfId('001', p.id), Name: company }).Id;
    sim.seed(record.type === 'lead' ? 'Lead' : 'Contact', { ...fields, Id: record.id, Callback_Requested__c: false, Draftbridge_Opt_Out__c: fields.Draftbridge_Opt_Out__c ?? false });
  }
}

/**
 * What the admin's Flow does when a rep ticks "Rückruf vereinbaren" (or a lead arrives): the record
 * changes and Salesforce sends an Outbound Message to draftbridge. Returns the request id it starts.
 */
export async function fireSalesforceTrigger(sim: SalesforceSimulator, person: SandboxPerson, webhookUrl: string): Promise<{ url: string; status: number; acked: boolean; requestId: string; notificationId: string }> {
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
  return { url, status: sent.status, acked: sent.acked, requestId: `sf-${sim.orgId.slice(0, 15)}-${notificationId}`, notificationId };
}

/** The CRM side of a sandbox request, for `draftbridge demo`: the status field and the notes written. */
export function salesforceView(sim: SalesforceSimulator, record: { objectType: CrmObjectType; contactId: string }): { status: string | null; notes: string[] } {
  const object = record.objectType === 'lead' ? 'Lead' : 'Contact';
  const row = sim.records[object].get(record.contactId);
  const tasks = [...sim.records.Task.values()].filter((t) => t.WhoId === record.contactId);
  return { status: (row?.Draftbridge_Status__c as string | undefined) ?? null, notes: tasks.map((t) => String(t.Description ?? '')) };
}
