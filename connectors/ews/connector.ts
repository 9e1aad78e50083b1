import { UpstreamRateLimited, UpstreamRejected, UpstreamUnavailable } from '../../src/errors.ts';
import {
  NO_CONNECTOR_METRICS,
  type CalendarBusy,
  type CalendarEvent,
  type CalendarPort,
  type CalendarSettings,
  type ConnectorMetrics,
  type MailMessageRef,
  type MailPort,
  type OutgoingMail,
} from '../../src/ports.ts';
import {
  attr,
  child,
  children,
  envelope,
  escapeXml,
  extendedFieldUri,
  extendedProperty,
  HOLD_PROPERTY,
  itemIdOf,
  namedProperty,
  readEnvelope,
  REQUEST_PROPERTY,
  responseError,
  responseMessages,
  text,
  type EwsResponseCode,
  type XmlNode,
} from './soap.ts';
import { EwsTransport, type EwsAuth } from './transport.ts';
import { calendarSettingsFrom, UTC_TIME_ZONE } from './time-zone.ts';

/**
 * MailPort and CalendarPort on Exchange Web Services (Exchange Server 2016/2019/Subscription Edition
 * on premises), plain SOAP (ADR 0006). The service account acts as each rep through
 * ExchangeImpersonation (ApplicationImpersonation role, scoped to the sales mailboxes). Drafts are
 * saved (SaveOnly) into Drafts with the review category and draftbridge's named property carrying
 * the request id, in one CreateItem: a retry finds that draft with FindItem instead of making a
 * second. ErrorServerBusy is waited out when Exchange asks for a short pause, otherwise it becomes
 * UpstreamRateLimited with Exchange's BackOffMilliseconds so the queue pauses.
 */
export const TRANSACTION_PROPERTY = 'DraftbridgeTransaction';
type Folder = 'drafts' | 'sentitems' | 'inbox' | 'deleteditems' | 'calendar';

export interface EwsMailOptions {
  url: string;
  auth: EwsAuth;
  metrics?: ConnectorMetrics;
  timeoutMs?: number;
  /** ErrorServerBusy with a back-off up to this long is waited out inside the call (once or twice). */
  maxInlineBackoffMs?: number;
}

/** What the approval loop reads of a message. */
export interface EwsMessageInfo {
  id: string;
  changeKey: string | null;
  folderId: string | null;
  isDraft: boolean;
  conversationId: string | null;
  internetMessageId: string | null;
  from: string | null;
  requestId: string | null;
  body: string | null;
}

/** One event of a pull subscription (GetEvents), ids only. */
export interface EwsEvent {
  type:
    | 'CreatedEvent'
    | 'NewMailEvent'
    | 'DeletedEvent'
    | 'MovedEvent'
    | 'CopiedEvent'
    | 'ModifiedEvent'
    | 'StatusEvent';
  watermark: string;
  itemId: string | null;
  folderId: string | null;
  oldItemId: string | null;
  oldFolderId: string | null;
}

const EVENT_TYPES: EwsEvent['type'][] = [
  'CreatedEvent',
  'NewMailEvent',
  'DeletedEvent',
  'MovedEvent',
  'CopiedEvent',
  'ModifiedEvent',
  'StatusEvent',
];
/** Transient store or server trouble: try again later. */
const TRANSIENT = new Set([
  'ErrorMailboxStoreUnavailable',
  'ErrorInternalServerTransientError',
  'ErrorTimeoutExpired',
  'ErrorConnectionFailed',
  'ErrorMailboxMoveInProgress',
  'ErrorInternalServerError',
]);
/** The service account may not act as this mailbox, or the mailbox is not there. */
const REFUSED_MAILBOX = new Set([
  'ErrorImpersonateUserDenied',
  'ErrorImpersonationDenied',
  'ErrorNonExistentMailbox',
  'ErrorAccessDenied',
  'ErrorMailboxConfiguration',
]);
const SUBSCRIPTION_GONE = new Set([
  'ErrorSubscriptionNotFound',
  'ErrorExpiredSubscription',
  'ErrorInvalidWatermark',
  'ErrorInvalidSubscription',
]);
const ITEM_PROPERTIES =
  '<t:FieldURI FieldURI="item:ParentFolderId"/><t:FieldURI FieldURI="item:IsDraft"/>' +
  '<t:FieldURI FieldURI="item:ConversationId"/>' +
  '<t:FieldURI FieldURI="message:InternetMessageId"/><t:FieldURI FieldURI="message:From"/>';

type OperationOptions = {
  notFoundIsNull?: boolean;
  subscriptionGoneIsNull?: boolean;
  invalidSyncStateIsNull?: boolean;
};
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
const utc = (iso: string) => new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z');
const folderXml = (folders: readonly Folder[]) =>
  folders.map((f) => `<t:DistinguishedFolderId Id="${f}"/>`).join('');
const mailboxXml = (r: { address: string; name?: string | undefined }) =>
  `<t:Mailbox>${r.name ? `<t:Name>${escapeXml(r.name)}</t:Name>` : ''}<t:EmailAddress>${escapeXml(r.address)}</t:EmailAddress>` +
  `</t:Mailbox>`;
const isEqualTo = (property: string, value: string) =>
  `<m:Restriction><t:IsEqualTo>${extendedFieldUri(property)}<t:FieldURIOrConstant>` +
  `<t:Constant Value="${escapeXml(value)}"/></t:FieldURIOrConstant></t:IsEqualTo></m:Restriction>`;

export class EwsMail implements MailPort, CalendarPort {
  private readonly transport: EwsTransport;
  private readonly metrics: ConnectorMetrics;
  private readonly maxInlineBackoffMs: number;
  /** Distinguished folder → folder id per mailbox (ids never change). */
  private readonly folders = new Map<string, Promise<Map<string, Folder>>>();

  constructor(options: EwsMailOptions) {
    this.transport = new EwsTransport(options.url, options.auth, options.timeoutMs);
    this.metrics = options.metrics ?? NO_CONNECTOR_METRICS;
    this.maxInlineBackoffMs = options.maxInlineBackoffMs ?? 5_000;
  }

  // ---------- MailPort ----------

  async findByRequestId(mailbox: string, requestId: string): Promise<MailMessageRef | null> {
    for (const folder of ['drafts', 'sentitems'] as const) {
      const found = await this.findByProperty(mailbox, folder, REQUEST_PROPERTY, requestId);
      if (found[0]) {
        const info = await this.info(mailbox, found[0]);
        if (info) return this.ref(mailbox, info);
      }
    }
    return null;
  }

  async createDraft(mail: OutgoingMail): Promise<MailMessageRef> {
    const body =
      `<m:CreateItem MessageDisposition="SaveOnly">` +
      `<m:SavedItemFolderId>${folderXml(['drafts'])}</m:SavedItemFolderId>` +
      `<m:Items>${this.messageXml(mail)}</m:Items></m:CreateItem>`;
    const [message] = await this.operation(mail.mailbox, 'CreateItem', body);
    const id = itemIdOf(child(child(message, 'Items'), 'Message'))?.id;
    if (!id) throw new UpstreamUnavailable('ews', 'EWS CreateItem answered without an ItemId');
    const info = await this.info(mail.mailbox, id);
    return this.ref(
      mail.mailbox,
      info ?? {
        id,
        changeKey: null,
        folderId: null,
        isDraft: true,
        conversationId: null,
        internetMessageId: null,
        from: null,
        requestId: mail.requestId,
        body: null,
      },
    );
  }

  async sendDraft(mailbox: string, messageId: string): Promise<void> {
    const info = await this.info(mailbox, messageId);
    if (!info) throw new UpstreamRejected('ews', 404, 'EWS SendItem: the draft is gone (ErrorItemNotFound)');
    const key = info.changeKey ? ` ChangeKey="${escapeXml(info.changeKey)}"` : '';
    await this.operation(
      mailbox,
      'SendItem',
      `<m:SendItem SaveItemToFolder="true"><m:ItemIds><t:ItemId Id="${escapeXml(messageId)}"${key}/>` +
        `</m:ItemIds><m:SavedItemFolderId>${folderXml(['sentitems'])}</m:SavedItemFolderId></m:SendItem>`,
    );
  }

  async sendMail(mail: OutgoingMail): Promise<void> {
    await this.operation(
      mail.mailbox,
      'CreateItem',
      `<m:CreateItem MessageDisposition="SendAndSaveCopy">` +
        `<m:SavedItemFolderId>${folderXml(['sentitems'])}</m:SavedItemFolderId>` +
        `<m:Items>${this.messageXml(mail)}</m:Items></m:CreateItem>`,
    );
  }

  async getMessage(
    mailbox: string,
    messageId: string,
  ): Promise<(MailMessageRef & { requestId: string | null; body?: string }) | null> {
    const info = await this.info(mailbox, messageId, { body: true });
    if (!info) return null;
    return {
      ...this.ref(mailbox, info),
      requestId: info.requestId,
      ...(info.body !== null ? { body: info.body } : {}),
    };
  }

  async getReplyText(
    mailbox: string,
    messageId: string,
  ): Promise<{ text: string; from: string | null } | null> {
    const info = await this.info(mailbox, messageId, { body: true });
    return info ? { text: info.body ?? '', from: info.from } : null;
  }

  // ---------- CalendarPort ----------

  async getSchedule(mailbox: string, from: Date, to: Date): Promise<CalendarBusy[]> {
    const view = await this.availability(mailbox, from, to);
    return children(child(view, 'CalendarEventArray'), 'CalendarEvent')
      .filter((e) => text(e, 'BusyType') !== 'Free' && text(e, 'BusyType') !== 'NoData')
      .map((e) => ({ start: utc(`${text(e, 'StartTime')}Z`), end: utc(`${text(e, 'EndTime')}Z`) }));
  }

  async getCalendarSettings(mailbox: string): Promise<CalendarSettings> {
    const now = new Date();
    const view = await this.availability(mailbox, now, new Date(now.getTime() + 86_400_000));
    return calendarSettingsFrom(child(view, 'WorkingHours'));
  }

  async createEvent(mailbox: string, event: CalendarEvent): Promise<{ id: string }> {
    // The transaction property makes a repeated call find the first event (Graph's transactionId).
    const [existing] = await this.findByProperty(
      mailbox,
      'calendar',
      TRANSACTION_PROPERTY,
      event.transactionId,
    );
    if (existing) return { id: existing };
    const invite = event.attendees.length > 0 ? 'SendToAllAndSaveCopy' : 'SendToNone';
    const attendees = event.attendees.map((a) => `<t:Attendee>${mailboxXml(a)}</t:Attendee>`).join('');
    const item =
      `<t:CalendarItem><t:Subject>${escapeXml(event.subject)}</t:Subject>` +
      `<t:Body BodyType="Text">${escapeXml(event.body)}</t:Body>` +
      extendedProperty(event.hold ? HOLD_PROPERTY : REQUEST_PROPERTY, event.requestId) +
      extendedProperty(TRANSACTION_PROPERTY, event.transactionId) +
      `<t:Start>${utc(event.start)}</t:Start><t:End>${utc(event.end)}</t:End>` +
      `<t:LegacyFreeBusyStatus>${event.showAs === 'tentative' ? 'Tentative' : 'Busy'}</t:LegacyFreeBusyStatus>` +
      (attendees ? `<t:RequiredAttendees>${attendees}</t:RequiredAttendees>` : '') +
      '</t:CalendarItem>';
    const body =
      `<m:CreateItem SendMeetingInvitations="${invite}">` +
      `<m:SavedItemFolderId>${folderXml(['calendar'])}</m:SavedItemFolderId><m:Items>${item}</m:Items>` +
      `</m:CreateItem>`;
    const [message] = await this.operation(mailbox, 'CreateItem', body);
    const id = itemIdOf(child(child(message, 'Items'), 'CalendarItem'))?.id;
    if (!id) throw new UpstreamUnavailable('ews', 'EWS CreateItem (CalendarItem) answered without an ItemId');
    return { id };
  }

  async listHolds(mailbox: string, requestId: string): Promise<(CalendarBusy & { id: string })[]> {
    const items = await this.findItems(
      mailbox,
      'calendar',
      HOLD_PROPERTY,
      requestId,
      '<t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:End"/>',
    );
    return items.flatMap((item) => {
      const id = itemIdOf(item)?.id;
      const start = text(item, 'Start');
      const end = text(item, 'End');
      return id && start && end ? [{ id, start: utc(start), end: utc(end) }] : [];
    });
  }

  async deleteEvent(mailbox: string, eventId: string): Promise<void> {
    const body =
      `<m:DeleteItem DeleteType="MoveToDeletedItems" SendMeetingCancellations="SendToNone"><m:ItemIds>` +
      `<t:ItemId Id="${escapeXml(eventId)}"/></m:ItemIds></m:DeleteItem>`;
    await this.operation(mailbox, 'DeleteItem', body, { notFoundIsNull: true });
  }

  // ---------- the approval loop's calls (connectors/ews/watch.ts) ----------

  /** Which distinguished folder a folder id is (drafts, sentitems, inbox, deleteditems); cached per mailbox. */
  async folderOf(mailbox: string, folderId: string | null): Promise<Folder | null> {
    if (!folderId) return null;
    const box = mailbox.toLowerCase();
    let known = this.folders.get(box);
    if (!known) {
      known = this.folderIds(box);
      this.folders.set(box, known);
      known.catch(() => this.folders.delete(box));
    }
    return (await known).get(folderId) ?? null;
  }

  private async folderIds(mailbox: string): Promise<Map<string, Folder>> {
    const wanted: Folder[] = ['drafts', 'sentitems', 'inbox', 'deleteditems'];
    const body =
      `<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape>` +
      `<m:FolderIds>${folderXml(wanted)}</m:FolderIds></m:GetFolder>`;
    const messages = await this.operation(mailbox, 'GetFolder', body);
    const out = new Map<string, Folder>();
    messages.forEach((m, i) => {
      const folders = child(m, 'Folders');
      const folder = child(folders, 'Folder') ?? child(folders, 'CalendarFolder');
      const id = attr(child(folder, 'FolderId'), 'Id');
      if (id && wanted[i]) out.set(id, wanted[i]);
    });
    return out;
  }

  /**
   * A pull subscription on Drafts, Sent Items and Inbox; Exchange keeps its events `timeoutMinutes`
   * after the last GetEvents.
   */
  async subscribe(
    mailbox: string,
    timeoutMinutes: number,
    watermark?: string,
  ): Promise<{ subscriptionId: string; watermark: string }> {
    const events = ['CreatedEvent', 'DeletedEvent', 'MovedEvent', 'NewMailEvent']
      .map((e) => `<t:EventType>${e}</t:EventType>`)
      .join('');
    const body =
      `<m:Subscribe><m:PullSubscriptionRequest>` +
      `<t:FolderIds>${folderXml(['drafts', 'sentitems', 'inbox'])}</t:FolderIds>` +
      `<t:EventTypes>${events}</t:EventTypes>${watermark ? `<t:Watermark>${escapeXml(watermark)}</t:Watermark>` : ''}<t:Timeout>${timeoutMinutes}</t:Timeout>` +
      `</m:PullSubscriptionRequest></m:Subscribe>`;
    const [message] = await this.operation(mailbox, 'Subscribe', body);
    const subscriptionId = text(message, 'SubscriptionId');
    const mark = text(message, 'Watermark');
    if (!subscriptionId || !mark)
      throw new UpstreamUnavailable('ews', 'EWS Subscribe answered without a SubscriptionId and Watermark');
    return { subscriptionId, watermark: mark };
  }

  /** The events after `watermark`; null when the subscription is gone (expired, server restarted). */
  async getEvents(
    mailbox: string,
    subscriptionId: string,
    watermark: string,
  ): Promise<{ events: EwsEvent[]; moreEvents: boolean; lastWatermark: string } | null> {
    const body =
      `<m:GetEvents><m:SubscriptionId>${escapeXml(subscriptionId)}</m:SubscriptionId>` +
      `<m:Watermark>${escapeXml(watermark)}</m:Watermark></m:GetEvents>`;
    const { messages, raw } = await this.operationWithRaw(mailbox, 'GetEvents', body, {
      subscriptionGoneIsNull: true,
    });
    if (!messages[0]) return null;
    const notification = child(messages[0], 'Notification');
    const events: EwsEvent[] = [];
    for (const type of EVENT_TYPES) {
      for (const e of children(notification, type)) {
        events.push({
          type,
          watermark: text(e, 'Watermark') ?? watermark,
          itemId: itemIdOf(e)?.id ?? null,
          folderId: attr(child(e, 'ParentFolderId'), 'Id'),
          oldItemId: itemIdOf(e, 'OldItemId')?.id ?? null,
          oldFolderId: attr(child(e, 'OldParentFolderId'), 'Id'),
        });
      }
    }
    // The parsed tree groups events by type; the watermark to go on from is the last one in the document.
    const marks = [...raw.matchAll(/<(?:\w+:)?Watermark>([^<]+)<\/(?:\w+:)?Watermark>/g)].map((m) => m[1]!);
    return {
      events,
      moreEvents: text(notification, 'MoreEvents') === 'true',
      lastWatermark: marks.at(-1) ?? watermark,
    };
  }

  /**
   * One page of SyncFolderItems (ids only); an empty state starts from the folder's current contents.
   * null when Exchange no longer accepts the state (ErrorInvalidSyncStateData): start again without one.
   */
  async syncFolderItems(
    mailbox: string,
    folder: Folder,
    syncState: string | null,
    max = 200,
  ): Promise<{ created: string[]; deleted: string[]; syncState: string; done: boolean } | null> {
    const body =
      `<m:SyncFolderItems><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape>` +
      `<m:SyncFolderId>${folderXml([folder])}</m:SyncFolderId>` +
      `${syncState ? `<m:SyncState>${escapeXml(syncState)}</m:SyncState>` : ''}<m:MaxChangesReturned>${max}</m:MaxChangesReturned>` +
      `<m:SyncScope>NormalItems</m:SyncScope></m:SyncFolderItems>`;
    const [message] = await this.operation(mailbox, 'SyncFolderItems', body, {
      invalidSyncStateIsNull: true,
    });
    if (!message) return null;
    const changes = child(message, 'Changes');
    const created = children(changes, 'Create').flatMap((c) =>
      Object.values(c)
        .flatMap((item) => [item].flat() as XmlNode[])
        .map((item) => itemIdOf(item)?.id)
        .filter((id): id is string => !!id),
    );
    const deleted = children(changes, 'Delete')
      .map((d) => itemIdOf(d)?.id)
      .filter((id): id is string => !!id);
    return {
      created,
      deleted,
      syncState: text(message, 'SyncState') ?? '',
      done: text(message, 'IncludesLastItemInRange') !== 'false',
    };
  }

  /** GetItem with what the approval loop needs; null when the item is gone (ErrorItemNotFound). */
  async info(
    mailbox: string,
    itemId: string,
    options: { body?: boolean } = {},
  ): Promise<EwsMessageInfo | null> {
    const shape = options.body
      ? '<t:BaseShape>IdOnly</t:BaseShape><t:BodyType>Text</t:BodyType>'
      : '<t:BaseShape>IdOnly</t:BaseShape>';
    const extra = options.body ? '<t:FieldURI FieldURI="item:Body"/>' : '';
    const body =
      `<m:GetItem>` +
      `<m:ItemShape>${shape}<t:AdditionalProperties>${ITEM_PROPERTIES}${extra}${extendedFieldUri(REQUEST_PROPERTY)}</t:AdditionalProperties>` +
      `</m:ItemShape><m:ItemIds><t:ItemId Id="${escapeXml(itemId)}"/></m:ItemIds></m:GetItem>`;
    const [message] = await this.operation(mailbox, 'GetItem', body, { notFoundIsNull: true });
    const items = child(message, 'Items');
    const item = items ? Object.values(items).flatMap((v) => [v].flat() as XmlNode[])[0] : undefined;
    const id = itemIdOf(item);
    if (!item || !id) return null;
    return {
      id: id.id,
      changeKey: id.changeKey,
      folderId: attr(child(item, 'ParentFolderId'), 'Id'),
      isDraft: text(item, 'IsDraft') === 'true',
      conversationId: attr(child(item, 'ConversationId'), 'Id'),
      internetMessageId: text(item, 'InternetMessageId'),
      from: text(child(child(item, 'From'), 'Mailbox'), 'EmailAddress')?.toLowerCase() ?? null,
      requestId: namedProperty(item, REQUEST_PROPERTY),
      body: options.body ? (text(item, 'Body') ?? '') : null,
    };
  }

  close(): void {
    this.transport.close();
  }

  // ---------- internals ----------

  private messageXml(mail: OutgoingMail): string {
    const categories = mail.categories.map((c) => `<t:String>${escapeXml(c)}</t:String>`).join('');
    // Element order follows the schema (MessageType extends ItemType): Exchange validates it.
    return (
      `<t:Message><t:Subject>${escapeXml(mail.subject)}</t:Subject>` +
      `<t:Body BodyType="${mail.contentType === 'html' ? 'HTML' : 'Text'}">${escapeXml(mail.body)}</t:Body>` +
      (categories ? `<t:Categories>${categories}</t:Categories>` : '') +
      extendedProperty(REQUEST_PROPERTY, mail.requestId) +
      `<t:ToRecipients>${mail.to.map(mailboxXml).join('')}</t:ToRecipients></t:Message>`
    );
  }

  private async findByProperty(
    mailbox: string,
    folder: Folder,
    property: string,
    value: string,
  ): Promise<string[]> {
    return (await this.findItems(mailbox, folder, property, value, ''))
      .map((i) => itemIdOf(i)?.id)
      .filter((id): id is string => !!id);
  }

  private async findItems(
    mailbox: string,
    folder: Folder,
    property: string,
    value: string,
    properties: string,
  ): Promise<XmlNode[]> {
    const body =
      `<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape>` +
      `<t:AdditionalProperties>${extendedFieldUri(property)}${properties}</t:AdditionalProperties>` +
      `</m:ItemShape>` +
      `<m:IndexedPageItemView MaxEntriesReturned="50" Offset="0" BasePoint="Beginning"/>${isEqualTo(property, value)}` +
      `<m:ParentFolderIds>${folderXml([folder])}</m:ParentFolderIds></m:FindItem>`;
    const [message] = await this.operation(mailbox, 'FindItem', body);
    const items = child(child(message, 'RootFolder'), 'Items');
    // Restriction and property check both: a server that ignored the restriction must not hand us
    // someone else's item.
    return items
      ? Object.values(items)
          .flatMap((v) => [v].flat() as XmlNode[])
          .filter((i) => namedProperty(i, property) === value)
      : [];
  }

  private async availability(mailbox: string, from: Date, to: Date): Promise<XmlNode | undefined> {
    const body =
      `<m:GetUserAvailabilityRequest>${UTC_TIME_ZONE}<m:MailboxDataArray><t:MailboxData><t:Email>` +
      `<t:Address>${escapeXml(mailbox)}</t:Address></t:Email>` +
      '<t:AttendeeType>Required</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts>' +
      '</t:MailboxData></m:MailboxDataArray>' +
      `<t:FreeBusyViewOptions><t:TimeWindow>` +
      `<t:StartTime>${utc(from.toISOString()).slice(0, -1)}</t:StartTime>` +
      `<t:EndTime>${utc(to.toISOString()).slice(0, -1)}</t:EndTime></t:TimeWindow>` +
      '<t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes>' +
      '<t:RequestedView>FreeBusy</t:RequestedView></t:FreeBusyViewOptions>' +
      '</m:GetUserAvailabilityRequest>';
    const { body: bodyNode } = await this.call(mailbox, 'GetUserAvailability', body);
    const response = child(
      child(child(bodyNode, 'GetUserAvailabilityResponse'), 'FreeBusyResponseArray'),
      'FreeBusyResponse',
    );
    const error = responseError(child(response, 'ResponseMessage') ?? {});
    if (error) throw this.toError('GetUserAvailability', error);
    return child(response, 'FreeBusyView');
  }

  /** One operation's response messages; an error message throws (ErrorItemNotFound may be null instead). */
  private async operation(
    mailbox: string,
    operation: string,
    body: string,
    options: OperationOptions = {},
  ): Promise<XmlNode[]> {
    return (await this.operationWithRaw(mailbox, operation, body, options)).messages;
  }

  private async operationWithRaw(
    mailbox: string,
    operation: string,
    body: string,
    options: OperationOptions = {},
  ): Promise<{ messages: XmlNode[]; raw: string }> {
    const { body: bodyNode, raw } = await this.call(mailbox, operation, body);
    const messages = responseMessages(bodyNode, operation);
    const out: XmlNode[] = [];
    for (const m of messages) {
      const error = responseError(m);
      if (!error) {
        out.push(m);
        continue;
      }
      if (options.notFoundIsNull && error.code === 'ErrorItemNotFound') {
        this.metrics.upstream('ews', 'not_found');
        return { messages: [], raw };
      }
      if (options.subscriptionGoneIsNull && SUBSCRIPTION_GONE.has(error.code)) return { messages: [], raw };
      if (options.invalidSyncStateIsNull && error.code === 'ErrorInvalidSyncStateData')
        return { messages: [], raw };
      throw this.toError(operation, error);
    }
    return { messages: out, raw };
  }

  /** The HTTP exchange and the envelope-level answers (faults, throttling, refused credentials). */
  private async call(
    mailbox: string,
    operation: string,
    body: string,
  ): Promise<{ body: XmlNode; raw: string }> {
    const xml = envelope(body, mailbox);
    for (let attempt = 1; ; attempt++) {
      const res = await this.transport.post(operation, xml, mailbox);
      if (res.status === 401) {
        this.metrics.upstream('ews', 'rejected');
        throw new UpstreamRejected(
          'ews',
          401,
          `EWS ${operation}: the server refused the service account (401); check EWS_AUTH, EWS_USERNAME, EWS_PASSWORD and EWS_DOMAIN`,
        );
      }
      if (res.status === 429 || res.status === 503) {
        this.metrics.upstream('ews', res.status === 429 ? 'throttled' : 'error');
        if (res.status === 429)
          throw new UpstreamRateLimited(
            'ews',
            Number(res.headers['retry-after'] ?? 30) * 1000,
            `EWS ${operation}: throttled (429)`,
          );
        throw new UpstreamUnavailable('ews', `EWS ${operation}: ${res.status} from the server`, res.status);
      }
      let parsed: ReturnType<typeof readEnvelope>;
      try {
        parsed = readEnvelope(res.body);
      } catch {
        this.metrics.upstream('ews', 'error');
        if (res.status >= 400 && res.status < 500)
          throw new UpstreamRejected(
            'ews',
            res.status,
            `EWS ${operation}: ${res.status} without a SOAP answer; is EWS_URL the /EWS/Exchange.asmx endpoint?`,
          );
        throw new UpstreamUnavailable(
          'ews',
          `EWS ${operation}: ${res.status} without a SOAP answer`,
          res.status,
        );
      }
      if ('fault' in parsed) {
        const backoff =
          parsed.fault.code === 'ErrorServerBusy' ? Number(parsed.fault.values.BackOffMilliseconds ?? 0) : -1;
        if (backoff >= 0 && backoff <= this.maxInlineBackoffMs && attempt < 3) {
          this.metrics.upstream('ews', 'throttled');
          await wait(backoff);
          continue;
        }
        throw this.toError(operation, parsed.fault);
      }
      if (res.status >= 400)
        throw new UpstreamUnavailable('ews', `EWS ${operation}: ${res.status}`, res.status);
      this.metrics.upstream('ews', 'ok');
      return { body: parsed.body, raw: res.body };
    }
  }

  /** Exchange's response codes as the project's errors (codes name the setting or the next step). */
  private toError(operation: string, error: EwsResponseCode): Error {
    const what = `EWS ${operation}: ${error.code}`;
    if (error.code === 'ErrorServerBusy') {
      this.metrics.upstream('ews', 'throttled');
      return new UpstreamRateLimited(
        'ews',
        Number(error.values.BackOffMilliseconds ?? 30_000),
        `${what} (Exchange throttling; back off ${error.values.BackOffMilliseconds ?? '?'} ms)`,
      );
    }
    if (TRANSIENT.has(error.code)) {
      this.metrics.upstream('ews', 'error');
      return new UpstreamUnavailable('ews', what);
    }
    this.metrics.upstream('ews', error.code === 'ErrorItemNotFound' ? 'not_found' : 'rejected');
    if (REFUSED_MAILBOX.has(error.code)) {
      return new UpstreamRejected(
        'ews',
        403,
        `${what}: the service account may not act as this mailbox; grant ApplicationImpersonation with a management scope that covers it (docs/admin/exchange-ews.md)`,
      );
    }
    if (error.code === 'ErrorItemNotFound')
      return new UpstreamRejected('ews', 404, `${what}: the item is gone`);
    return new UpstreamRejected(
      'ews',
      400,
      `${what}${error.message ? ` (${error.message.slice(0, 200)})` : ''}`,
    );
  }

  private ref(mailbox: string, info: EwsMessageInfo): MailMessageRef {
    return {
      id: info.id,
      mailbox,
      isDraft: info.isDraft,
      ...(info.conversationId ? { conversationId: info.conversationId } : {}),
      ...(info.internetMessageId ? { internetMessageId: info.internetMessageId } : {}),
    };
  }
}
