import { randomBytes } from 'node:crypto';
import { at, esc, EwsSimError, list, one, str, type Node } from './xml.ts';
import {
  FOLDERS,
  newChangeKey,
  newConversationId,
  newItemId,
  type SimExchange,
  type SimFolder,
  type SimItem,
  type SimMailbox,
} from './state.ts';

/**
 * Item operations of the simulated EWS: CreateItem (messages: SaveOnly, SendOnly, SendAndSaveCopy;
 * calendar items with SendMeetingInvitations), GetItem and FindItem with item shapes (IdOnly plus
 * AdditionalProperties, as Exchange returns only what was asked for), IsEqualTo restrictions on
 * named properties, SendItem (needs the ChangeKey) and DeleteItem.
 */
export interface OperationContext {
  ex: SimExchange;
  box: SimMailbox;
  /** Invitations "sent" by CreateItem SendToAllAndSaveCopy: what a test checks reached the contact. */
  invitations: { mailbox: string; to: string[]; subject: string; start: string; end: string }[];
  /** Mail "sent" out of the organisation (SendAndSaveCopy, SendItem). */
  outbound: { mailbox: string; to: string[]; subject: string; itemId: string | null }[];
}

const propKey = (uri: Node | undefined) => {
  if (!uri) throw new EwsSimError('ErrorInvalidPropertyRequest', 'The property request is invalid.');
  const set = at(uri, 'PropertySetId');
  const name = at(uri, 'PropertyName');
  const type = at(uri, 'PropertyType');
  if (!set || !name || !type)
    throw new EwsSimError(
      'ErrorInvalidExtendedProperty',
      'An ExtendedFieldURI needs PropertySetId, PropertyName and PropertyType.',
    );
  if (type !== 'String')
    throw new EwsSimError('ErrorInvalidExtendedPropertyValue', 'Only String properties are simulated.');
  return `${set.toLowerCase()}|${name}`;
};

export function distinguished(folderIds: Node | undefined, box: SimMailbox, fallback?: SimFolder): SimFolder {
  const d = one(folderIds, 'DistinguishedFolderId');
  const id = d ? at(d, 'Id') : undefined;
  if (id && (FOLDERS as readonly string[]).includes(id)) return id as SimFolder;
  const byId = at(one(folderIds, 'FolderId'), 'Id');
  const found = byId ? FOLDERS.find((f) => box.folderIds[f] === byId) : undefined;
  if (found) return found;
  if (!id && !byId && fallback) return fallback;
  throw new EwsSimError('ErrorFolderNotFound', 'The specified folder could not be found in the store.');
}

const mailboxes = (node: Node | undefined) =>
  list(node, 'Mailbox').map((m) => str(m, 'EmailAddress')!.toLowerCase());

function itemFrom(
  ctx: OperationContext,
  kind: 'Message' | 'CalendarItem',
  node: Node,
  folder: SimFolder,
): SimItem {
  const properties = new Map<string, string>();
  for (const p of list(node, 'ExtendedProperty'))
    properties.set(propKey(one(p, 'ExtendedFieldURI')), str(p, 'Value') ?? '');
  const body = one(node, 'Body');
  const id = newItemId();
  return {
    id,
    changeKey: newChangeKey(),
    mailbox: ctx.box.address,
    folder,
    kind,
    subject: str(node, 'Subject') ?? '',
    body: str(body) ?? '',
    bodyType: at(body, 'BodyType') === 'HTML' ? 'HTML' : 'Text',
    categories: list(one(node, 'Categories'), 'String').map((s) => str(s) ?? ''),
    properties,
    to: mailboxes(one(node, 'ToRecipients')),
    from: ctx.box.address,
    isDraft: false,
    conversationId: newConversationId(),
    internetMessageId: `<${randomBytes(12).toString('hex')}@exch01.example.test>`,
    ...(kind === 'CalendarItem'
      ? {
          start: new Date(str(node, 'Start') ?? '').toISOString(),
          end: new Date(str(node, 'End') ?? '').toISOString(),
          freeBusy: (str(node, 'LegacyFreeBusyStatus') as SimItem['freeBusy']) ?? 'Busy',
          attendees: list(one(node, 'RequiredAttendees'), 'Attendee').map((a) =>
            str(one(a, 'Mailbox'), 'EmailAddress')!.toLowerCase(),
          ),
        }
      : {}),
    created: Date.now(),
  };
}

export function createItem(ctx: OperationContext, op: Node): string[] {
  const disposition = at(op, 'MessageDisposition');
  const invitations = at(op, 'SendMeetingInvitations');
  const target = one(op, 'SavedItemFolderId');
  const items = one(op, 'Items');
  const out: string[] = [];
  for (const m of list(items, 'Message')) {
    if (!disposition)
      throw new EwsSimError(
        'ErrorMessageDispositionRequired',
        'MessageDisposition is required for this operation.',
      );
    if (disposition === 'SaveOnly') {
      const item = {
        ...itemFrom(ctx, 'Message', m, distinguished(target, ctx.box, 'drafts')),
        isDraft: true,
      };
      ctx.ex.put(item);
      out.push(
        `<m:Items><t:Message><t:ItemId Id="${esc(item.id)}" ChangeKey="${esc(item.changeKey)}"/>` +
          `</t:Message></m:Items>`,
      );
      continue;
    }
    const item = itemFrom(
      ctx,
      'Message',
      m,
      disposition === 'SendAndSaveCopy' ? distinguished(target, ctx.box, 'sentitems') : 'sentitems',
    );
    if (disposition === 'SendAndSaveCopy') ctx.ex.put(item);
    ctx.outbound.push({
      mailbox: ctx.box.address,
      to: item.to,
      subject: item.subject,
      itemId: disposition === 'SendAndSaveCopy' ? item.id : null,
    });
    out.push('<m:Items/>');
  }
  for (const c of list(items, 'CalendarItem')) {
    if (!invitations)
      throw new EwsSimError(
        'ErrorSendMeetingInvitationsRequired',
        'SendMeetingInvitations is required for calendar items.',
      );
    const item = itemFrom(ctx, 'CalendarItem', c, distinguished(target, ctx.box, 'calendar'));
    if (
      Number.isNaN(Date.parse(item.start!)) ||
      Number.isNaN(Date.parse(item.end!)) ||
      item.end! <= item.start!
    ) {
      throw new EwsSimError(
        'ErrorCalendarEndDateIsEarlierThanStartDate',
        'EndDate is earlier than StartDate',
      );
    }
    ctx.ex.put(item);
    if (invitations !== 'SendToNone' && item.attendees!.length)
      ctx.invitations.push({
        mailbox: ctx.box.address,
        to: item.attendees!,
        subject: item.subject,
        start: item.start!,
        end: item.end!,
      });
    out.push(
      `<m:Items><t:CalendarItem><t:ItemId Id="${esc(item.id)}" ChangeKey="${esc(item.changeKey)}"/>` +
        `</t:CalendarItem></m:Items>`,
    );
  }
  return out;
}

/** The item's XML in the requested shape (IdOnly + AdditionalProperties, or Default). */
export function itemXml(item: SimItem, shape: Node | undefined, folderId: string): string {
  const base = str(shape, 'BaseShape') ?? 'Default';
  const bodyType = str(shape, 'BodyType') ?? 'Best';
  const additional = one(shape, 'AdditionalProperties');
  const fields = new Set(list(additional, 'FieldURI').map((f) => at(f, 'FieldURI')!));
  if (base !== 'IdOnly')
    for (const f of [
      'item:Subject',
      'item:ParentFolderId',
      'item:Categories',
      'message:From',
      'message:ToRecipients',
      'item:IsDraft',
      'item:ConversationId',
    ])
      fields.add(f);
  const wanted = list(additional, 'ExtendedFieldURI').map((u) => propKey(u));
  const parts: string[] = [`<t:ItemId Id="${esc(item.id)}" ChangeKey="${esc(item.changeKey)}"/>`];
  const add = (field: string, xml: () => string) => {
    if (fields.delete(field)) parts.push(xml());
  };
  const box = (a: string) =>
    `<t:Mailbox><t:EmailAddress>${esc(a)}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox>`;
  add('item:ParentFolderId', () => `<t:ParentFolderId Id="${esc(folderId)}" ChangeKey="AQAAAA=="/>`);
  add('item:Subject', () => `<t:Subject>${esc(item.subject)}</t:Subject>`);
  add(
    'item:Body',
    () =>
      `<t:Body BodyType="${bodyType === 'Text' ? 'Text' : item.bodyType}">${esc(bodyType === 'Text' && item.bodyType === 'HTML' ? item.body.replace(/<[^>]+>/g, '') : item.body)}</t:Body>`,
  );
  add('item:Categories', () =>
    item.categories.length
      ? `<t:Categories>${item.categories.map((c) => `<t:String>${esc(c)}</t:String>`).join('')}</t:Categories>`
      : '',
  );
  add('item:IsDraft', () => `<t:IsDraft>${item.isDraft}</t:IsDraft>`);
  for (const key of wanted) {
    const value = item.properties.get(key);
    const [set, name] = key.split('|');
    if (value !== undefined)
      parts.push(
        `<t:ExtendedProperty>` +
          `<t:ExtendedFieldURI PropertySetId="${set}" PropertyName="${esc(name!)}" PropertyType="String"/>` +
          `<t:Value>${esc(value)}</t:Value></t:ExtendedProperty>`,
      );
  }
  add('calendar:Start', () => `<t:Start>${item.start?.replace(/\.\d{3}Z$/, 'Z') ?? ''}</t:Start>`);
  add('calendar:End', () => `<t:End>${item.end?.replace(/\.\d{3}Z$/, 'Z') ?? ''}</t:End>`);
  add(
    'calendar:LegacyFreeBusyStatus',
    () => `<t:LegacyFreeBusyStatus>${item.freeBusy ?? 'Busy'}</t:LegacyFreeBusyStatus>`,
  );
  add(
    'calendar:RequiredAttendees',
    () =>
      `<t:RequiredAttendees>${(item.attendees ?? []).map((a) => `<t:Attendee>${box(a)}</t:Attendee>`).join('')}</t:RequiredAttendees>`,
  );
  add('message:ToRecipients', () =>
    item.kind === 'Message' ? `<t:ToRecipients>${item.to.map(box).join('')}</t:ToRecipients>` : '',
  );
  add('message:From', () => (item.kind === 'Message' ? `<t:From>${box(item.from)}</t:From>` : ''));
  add(
    'message:InternetMessageId',
    () => `<t:InternetMessageId>${esc(item.internetMessageId)}</t:InternetMessageId>`,
  );
  add('item:ConversationId', () => `<t:ConversationId Id="${esc(item.conversationId)}"/>`);
  add(
    'item:DateTimeCreated',
    () =>
      `<t:DateTimeCreated>${new Date(item.created).toISOString().replace(/\.\d{3}Z$/, 'Z')}</t:DateTimeCreated>`,
  );
  if (fields.size > 0)
    throw new EwsSimError(
      'ErrorInvalidPropertyRequest',
      `The property ${[...fields][0]} is not simulated or not valid for this item.`,
    );
  return `<t:${item.kind}>${parts.join('')}</t:${item.kind}>`;
}

export function getItem(ctx: OperationContext, op: Node): string[] {
  return list(one(op, 'ItemIds'), 'ItemId').map((ref) => {
    const item = ctx.box.items.get(at(ref, 'Id') ?? '');
    if (!item) throw new EwsSimError('ErrorItemNotFound', 'The specified object was not found in the store.');
    return `<m:Items>${itemXml(item, one(op, 'ItemShape'), ctx.box.folderIds[item.folder])}</m:Items>`;
  });
}

export function findItem(ctx: OperationContext, op: Node): string[] {
  const folder = distinguished(one(op, 'ParentFolderIds'), ctx.box);
  const equal = one(one(op, 'Restriction'), 'IsEqualTo');
  let items = [...ctx.box.items.values()].filter((i) => i.folder === folder);
  if (one(op, 'Restriction')) {
    if (!equal)
      throw new EwsSimError('ErrorUnsupportedQueryFilter', 'Only IsEqualTo restrictions are simulated.');
    const key = propKey(one(equal, 'ExtendedFieldURI'));
    const value = at(one(one(equal, 'FieldURIOrConstant'), 'Constant'), 'Value');
    items = items.filter((i) => i.properties.get(key) === value);
  }
  const view = one(op, 'IndexedPageItemView');
  const max = Number(at(view, 'MaxEntriesReturned') ?? 1000);
  const offset = Number(at(view, 'Offset') ?? 0);
  const page = items.sort((a, b) => b.created - a.created).slice(offset, offset + max);
  const last = offset + page.length >= items.length;
  const xml = page.map((i) => itemXml(i, one(op, 'ItemShape'), ctx.box.folderIds[i.folder])).join('');
  return [
    `<m:RootFolder IndexedPagingOffset="${offset + page.length}" TotalItemsInView="${items.length}" IncludesLastItemInRange="${last}">` +
      `<t:Items>${xml}</t:Items></m:RootFolder>`,
  ];
}

export function sendItem(ctx: OperationContext, op: Node): string[] {
  return list(one(op, 'ItemIds'), 'ItemId').map((ref) => {
    const item = ctx.box.items.get(at(ref, 'Id') ?? '');
    if (!item) throw new EwsSimError('ErrorItemNotFound', 'The specified object was not found in the store.');
    const changeKey = at(ref, 'ChangeKey');
    if (!changeKey)
      throw new EwsSimError(
        'ErrorChangeKeyRequiredForWriteOperations',
        'When making a write request, you must provide a ChangeKey.',
      );
    if (changeKey !== item.changeKey)
      throw new EwsSimError(
        'ErrorIrresolvableConflict',
        'The send or update operation could not be performed because the change key passed in the request does not match the current change key for the item.',
      );
    sendDraft(
      ctx.ex,
      item,
      at(op, 'SaveItemToFolder') !== 'false'
        ? distinguished(one(op, 'SavedItemFolderId'), ctx.box, 'sentitems')
        : null,
    );
    ctx.outbound.push({ mailbox: ctx.box.address, to: item.to, subject: item.subject, itemId: item.id });
    return '';
  });
}

/** A draft leaves Drafts for Sent Items (a new id there), or is gone when not saved. */
export function sendDraft(ex: SimExchange, item: SimItem, folder: SimFolder | null): SimItem | null {
  if (!item.isDraft) throw new EwsSimError('ErrorInvalidOperation', 'Only a draft can be sent.');
  if (!folder) {
    ex.remove(item);
    return null;
  }
  return ex.move(item, folder, { isDraft: false });
}

export function deleteItem(ctx: OperationContext, op: Node): string[] {
  const type = at(op, 'DeleteType');
  if (!type) throw new EwsSimError('ErrorInvalidRequest', 'DeleteType is required.');
  return list(one(op, 'ItemIds'), 'ItemId').map((ref) => {
    const item = ctx.box.items.get(at(ref, 'Id') ?? '');
    if (!item) throw new EwsSimError('ErrorItemNotFound', 'The specified object was not found in the store.');
    if (item.kind === 'CalendarItem' && !at(op, 'SendMeetingCancellations'))
      throw new EwsSimError(
        'ErrorSendMeetingCancellationsRequired',
        'SendMeetingCancellations is required for calendar items.',
      );
    if (type === 'MoveToDeletedItems') ctx.ex.move(item, 'deleteditems');
    else ctx.ex.remove(item);
    return '';
  });
}

export function getFolder(ctx: OperationContext, op: Node): string[] {
  return list(one(op, 'FolderIds'), 'DistinguishedFolderId').map((d) => {
    const id = at(d, 'Id') as SimFolder;
    if (!(FOLDERS as readonly string[]).includes(id))
      throw new EwsSimError('ErrorFolderNotFound', 'The specified folder could not be found in the store.');
    const element = id === 'calendar' ? 'CalendarFolder' : 'Folder';
    return (
      `<m:Folders><t:${element}><t:FolderId Id="${esc(ctx.box.folderIds[id])}" ChangeKey="AQAAAA=="/>` +
      `</t:${element}></m:Folders>`
    );
  });
}
