import { z } from 'zod';

/**
 * The core speaks logical field names (`email`, `owner`, `callback_note`); each CRM names them its own
 * way. The built-in names below are what `draftbridge <crm> setup` creates and what CRM admins find
 * in the vendors' standard objects; the policy's `crm.fields` section overrides any of them.
 */

export const CrmName = z.enum(['hubspot', 'salesforce', 'dynamics']);
export type CrmName = z.infer<typeof CrmName>;

/** The CRM record kinds a trigger can name: a contact, or a lead where the CRM keeps leads apart. */
export const CrmObjectType = z.enum(['contact', 'lead']);
export type CrmObjectType = z.infer<typeof CrmObjectType>;

export const LogicalField = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a logical field name (lower-case, digits, _)');
export type LogicalField = z.infer<typeof LogicalField>;

/** A CRM's own field name; relationship paths (Salesforce `Account.Name`, Dataverse `parentcustomerid_account.name`) are allowed. */
export const CrmFieldName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/, 'a CRM field name');

export type FieldNames = Readonly<Record<LogicalField, string>>;

/** Logical fields the core reads or writes itself, beside whatever a flow lists. */
export const CORE_FIELDS = ['email', 'owner', 'language', 'opt_out', 'status', 'last_request_id'] as const;

/** Free text the rep or the contact typed, as opposed to structured values (names, numbers, codes). */
export const STRUCTURED_FIELDS: ReadonlySet<string> = new Set([
  'firstname',
  'lastname',
  'email',
  'phone',
  'mobilephone',
  'company',
  'jobtitle',
  'salutation',
  'language',
  'owner',
]);

const HUBSPOT: FieldNames = {
  firstname: 'firstname',
  lastname: 'lastname',
  email: 'email',
  salutation: 'salutation',
  language: 'hs_language',
  company: 'company',
  jobtitle: 'jobtitle',
  phone: 'phone',
  mobilephone: 'mobilephone',
  owner: 'hubspot_owner_id',
  message: 'message',
  callback_requested: 'callback_requested',
  callback_note: 'callback_notes',
  status: 'draftbridge_status',
  opt_out: 'draftbridge_opt_out',
  last_request_id: 'draftbridge_last_request_id',
};

const SALESFORCE: FieldNames = {
  firstname: 'FirstName',
  lastname: 'LastName',
  email: 'Email',
  salutation: 'Salutation',
  language: 'Language__c',
  jobtitle: 'Title',
  phone: 'Phone',
  mobilephone: 'MobilePhone',
  owner: 'OwnerId',
  message: 'Description',
  callback_requested: 'Callback_Requested__c',
  callback_note: 'Callback_Note__c',
  status: 'Draftbridge_Status__c',
  opt_out: 'Draftbridge_Opt_Out__c',
  last_request_id: 'Draftbridge_Last_Request_Id__c',
};

const DATAVERSE: FieldNames = {
  firstname: 'firstname',
  lastname: 'lastname',
  email: 'emailaddress1',
  salutation: 'salutation',
  language: 'new_language',
  jobtitle: 'jobtitle',
  phone: 'telephone1',
  mobilephone: 'mobilephone',
  owner: '_ownerid_value',
  message: 'description',
  callback_requested: 'new_callbackrequested',
  callback_note: 'new_callbacknote',
  status: 'new_draftbridgestatus',
  opt_out: 'new_draftbridgeoptout',
  last_request_id: 'new_draftbridgelastrequestid',
};

/** Built-in names per CRM and record kind (where contact and lead differ, e.g. the company). */
export const DEFAULT_CRM_FIELDS: Record<CrmName, Record<CrmObjectType, FieldNames>> = {
  hubspot: { contact: HUBSPOT, lead: HUBSPOT },
  salesforce: {
    contact: { ...SALESFORCE, company: 'Account.Name' },
    lead: { ...SALESFORCE, company: 'Company' },
  },
  // A contact's "Company Name" is the parentcustomerid lookup; the connector reads the account's name through $expand.
  dynamics: {
    contact: { ...DATAVERSE, company: 'parentcustomerid_account.name' },
    lead: { ...DATAVERSE, company: 'companyname' },
  },
};

/** Policy overrides: `crm.fields.<crm>.<contact|lead>.<logical>: <crm field>`. */
export const CrmFieldOverrides = z.partialRecord(
  CrmName,
  z.partialRecord(CrmObjectType, z.record(LogicalField, CrmFieldName)),
);
export type CrmFieldOverrides = z.infer<typeof CrmFieldOverrides>;

/**
 * The two-way mapping for one CRM and record kind. Stages ask for logical fields and get logical
 * fields back; only the connector call sees the CRM's names.
 */
/** The deployment's CRM and its field maps per record kind (logical ↔ CRM names). */
export interface CrmFieldMaps {
  name: CrmName;
  fields(objectType: CrmObjectType): CrmFields;
}

export class CrmFields {
  readonly crm: CrmName;
  readonly objectType: CrmObjectType;
  private readonly names: FieldNames;
  private readonly logicalByName: Map<string, string>;

  constructor(crm: CrmName, objectType: CrmObjectType, overrides: CrmFieldOverrides = {}) {
    this.crm = crm;
    this.objectType = objectType;
    this.names = { ...DEFAULT_CRM_FIELDS[crm][objectType], ...overrides[crm]?.[objectType] };
    this.logicalByName = new Map(Object.entries(this.names).map(([logical, name]) => [name, logical]));
  }

  has(logical: string): boolean {
    return logical in this.names;
  }

  /** The CRM's name for a logical field; throws for an unmapped one (policy validation prevents it). */
  name(logical: string): string {
    const name = this.names[logical];
    if (name === undefined)
      throw new Error(`no ${this.crm} ${this.objectType} field is mapped to "${logical}"`);
    return name;
  }

  namesOf(logicals: Iterable<string>): string[] {
    return [...new Set([...logicals].map((l) => this.name(l)))];
  }

  /** The logical name of a CRM field, if the map has one. */
  logical(name: string): string | undefined {
    return this.logicalByName.get(name);
  }

  /** CRM-named values → logical-named values, keeping only the fields that were asked for. */
  toLogical(
    values: Readonly<Record<string, string | null>>,
    logicals: Iterable<string>,
  ): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const logical of logicals) out[logical] = values[this.name(logical)] ?? null;
    return out;
  }

  /** Logical-named values → CRM-named values (for writes). */
  toCrm(values: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [logical, value] of Object.entries(values)) out[this.name(logical)] = value;
    return out;
  }
}

/** Every logical field a deployment uses that has no name in its CRM (checked at start). */
export function unmappedFields(
  crm: CrmName,
  overrides: CrmFieldOverrides,
  fields: Iterable<string>,
): string[] {
  const missing = new Set<string>();
  for (const type of CrmObjectType.options) {
    const map = new CrmFields(crm, type, overrides);
    for (const f of fields) if (!map.has(f)) missing.add(`${type}.${f}`);
  }
  return [...missing];
}
