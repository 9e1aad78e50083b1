import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import { distinguished, type OperationContext } from './items.ts';
import type { SimEvent, SimMailbox } from './state.ts';
import { esc, EwsSimError, list, one, str, type Node } from './xml.ts';

/**
 * Pull notifications (Subscribe with PullSubscriptionRequest, GetEvents), SyncFolderItems and the
 * Availability service's GetUserAvailability of the simulated Exchange.
 */
const MAX_EVENTS = 50;

export function subscribe(ctx: OperationContext, op: Node): string[] {
  const pull = one(op, 'PullSubscriptionRequest');
  if (!pull)
    throw new EwsSimError('ErrorInvalidSubscriptionRequest', 'Only pull subscriptions are simulated.');
  const folders = new Set(
    list(one(pull, 'FolderIds'), 'DistinguishedFolderId').map((d) =>
      distinguished({ DistinguishedFolderId: d }, ctx.box),
    ),
  );
  const eventTypes = new Set(list(one(pull, 'EventTypes'), 'EventType').map((e) => str(e) ?? ''));
  const timeout = Number(str(pull, 'Timeout'));
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 1440)
    throw new EwsSimError('ErrorInvalidPullSubscriptionId', 'Timeout must be between 1 and 1440 minutes.');
  if (eventTypes.size === 0)
    throw new EwsSimError('ErrorInvalidSubscriptionRequest', 'At least one event type is required.');
  const mark = str(pull, 'Watermark');
  const start = mark ? ctx.ex.position(mark) : { mailbox: ctx.box.address, index: ctx.box.events.length };
  if (!start || start.mailbox !== ctx.box.address)
    throw new EwsSimError(
      'ErrorInvalidWatermark',
      'The watermark used for creating this subscription was not found.',
    );
  const id = `${randomBytes(2).toString('hex')}${Buffer.from(randomBytes(40)).toString('base64')}`;
  ctx.ex.subscriptions.set(id, {
    id,
    mailbox: ctx.box.address,
    folders,
    eventTypes,
    position: start.index,
    timeoutMinutes: timeout,
    lastSeen: Date.now(),
  });
  return [
    `<m:SubscriptionId>${esc(id)}</m:SubscriptionId>` +
      `<m:Watermark>${esc(ctx.ex.watermark(ctx.box, start.index))}</m:Watermark>`,
  ];
}

function eventXml(box: SimMailbox, e: SimEvent): string {
  const folder = `<t:ParentFolderId Id="${esc(box.folderIds[e.folder])}" ChangeKey="AQAAAA=="/>`;
  const old = e.oldItemId
    ? `<t:OldItemId Id="${esc(e.oldItemId)}" ChangeKey="AQAAAA=="/>` +
      `<t:OldParentFolderId Id="${esc(box.folderIds[e.oldFolder!])}" ChangeKey="AQAAAA=="/>`
    : '';
  return (
    `<t:${e.type}><t:Watermark>${esc(e.watermark)}</t:Watermark>` +
    `<t:TimeStamp>${e.at.replace(/\.\d{3}Z$/, 'Z')}</t:TimeStamp>` +
    `<t:ItemId Id="${esc(e.itemId)}" ChangeKey="AQAAAA=="/>${folder}${old}</t:${e.type}>`
  );
}

export function getEvents(ctx: OperationContext, op: Node): string[] {
  const id = str(op, 'SubscriptionId') ?? '';
  const sub = ctx.ex.subscriptions.get(id);
  if (!sub || sub.mailbox !== ctx.box.address)
    throw new EwsSimError('ErrorSubscriptionNotFound', 'The specified subscription was not found.');
  if (Date.now() - sub.lastSeen > sub.timeoutMinutes * 60_000) {
    ctx.ex.subscriptions.delete(id);
    throw new EwsSimError('ErrorSubscriptionNotFound', 'The specified subscription was not found.');
  }
  const mark = ctx.ex.position(str(op, 'Watermark') ?? '');
  if (!mark || mark.mailbox !== sub.mailbox)
    throw new EwsSimError('ErrorInvalidWatermark', 'The watermark is invalid.');
  sub.lastSeen = Date.now();
  const matching = ctx.box.events.filter(
    (e) =>
      e.index > mark.index &&
      sub.eventTypes.has(e.type) &&
      (sub.folders.has(e.folder) || (e.oldFolder !== undefined && sub.folders.has(e.oldFolder))),
  );
  const page = matching.slice(0, MAX_EVENTS);
  const more = matching.length > page.length;
  sub.position = page.at(-1)?.index ?? mark.index;
  const status =
    `<t:StatusEvent>` +
    `<t:Watermark>${esc(ctx.ex.watermark(ctx.box, Math.max(mark.index, page.at(-1)?.index ?? ctx.box.events.length)))}</t:Watermark>` +
    `</t:StatusEvent>`;
  const events = page.length ? page.map((e) => eventXml(ctx.box, e)).join('') : status;
  return [
    `<m:Notification><t:SubscriptionId>${esc(id)}</t:SubscriptionId>` +
      `<t:PreviousWatermark>${esc(str(op, 'Watermark')!)}</t:PreviousWatermark>` +
      `<t:MoreEvents>${more}</t:MoreEvents>${events}</m:Notification>`,
  ];
}

/** SyncState: base64 of `folder|event index|skip` (skip pages within one range of changes). */
export function syncFolderItems(ctx: OperationContext, op: Node): string[] {
  const folder = distinguished(one(op, 'SyncFolderId'), ctx.box);
  const max = Math.min(512, Number(str(op, 'MaxChangesReturned') ?? 512));
  const state = str(op, 'SyncState');
  let from = -1;
  let skip = 0;
  if (state) {
    const [f, index, s] = Buffer.from(state, 'base64').toString().split('|');
    if (f !== folder || index === undefined)
      throw new EwsSimError(
        'ErrorInvalidSyncStateData',
        'The sync state data is corrupt or otherwise invalid.',
      );
    from = Number(index);
    skip = Number(s ?? 0);
  }
  const changes: string[] = [];
  if (from < 0) {
    for (const item of ctx.box.items.values())
      if (item.folder === folder)
        changes.push(
          `<t:Create><t:${item.kind}>` +
            `<t:ItemId Id="${esc(item.id)}" ChangeKey="${esc(item.changeKey)}"/></t:${item.kind}>` +
            `</t:Create>`,
        );
  } else {
    for (const e of ctx.box.events.filter((x) => x.index > from)) {
      if (e.type !== 'NewMailEvent' && e.type !== 'ModifiedEvent') {
        const item = ctx.box.items.get(e.itemId);
        if (e.folder === folder && e.type !== 'DeletedEvent' && item?.folder === folder)
          changes.push(
            `<t:Create><t:${item.kind}>` +
              `<t:ItemId Id="${esc(item.id)}" ChangeKey="${esc(item.changeKey)}"/></t:${item.kind}>` +
              `</t:Create>`,
          );
        const left =
          e.type === 'DeletedEvent'
            ? e.folder === folder
              ? e.itemId
              : undefined
            : e.oldFolder === folder
              ? e.oldItemId
              : undefined;
        if (left) changes.push(`<t:Delete><t:ItemId Id="${esc(left)}"/></t:Delete>`);
      }
    }
  }
  const page = changes.slice(skip, skip + max);
  const last = skip + page.length >= changes.length;
  const index = from < 0 ? ctx.box.events.length : from;
  const next = last ? `${folder}|${ctx.box.events.length}|0` : `${folder}|${index}|${skip + page.length}`;
  // A first sync that pages must keep its start: remember where the folder stood as "everything".
  const nextState =
    !last && from < 0
      ? Buffer.from(`${folder}|-1|${skip + page.length}`).toString('base64')
      : Buffer.from(next).toString('base64');
  return [
    `<m:SyncState>${nextState}</m:SyncState>` +
      `<m:IncludesLastItemInRange>${last}</m:IncludesLastItemInRange>` +
      `<m:Changes>${page.join('')}</m:Changes>`,
  ];
}

const EU_ZONE =
  '<TimeZone><Bias>-60</Bias><StandardTime><Bias>0</Bias><Time>03:00:00</Time><DayOrder>5</DayOrder>' +
  '<Month>10</Month><DayOfWeek>Sunday</DayOfWeek></StandardTime>' +
  '<DaylightTime><Bias>-60</Bias><Time>02:00:00</Time><DayOrder>5</DayOrder><Month>3</Month>' +
  '<DayOfWeek>Sunday</DayOfWeek></DaylightTime></TimeZone>';

/** GetUserAvailability with FreeBusy view: busy blocks in the request's time zone (a fixed bias), working hours in Berlin time. */
export function getUserAvailability(
  ctx: Omit<OperationContext, 'box'>,
  op: Node,
  boxFor: (address: string) => SimMailbox | undefined,
): string {
  const bias = Number(str(one(op, 'TimeZone'), 'Bias') ?? 'NaN');
  if (!Number.isFinite(bias))
    throw new EwsSimError('ErrorInvalidRequest', 'The request TimeZone is required.', { fault: true });
  const window = one(one(op, 'FreeBusyViewOptions'), 'TimeWindow');
  const toUtc = (local: string) => DateTime.fromISO(local, { zone: 'UTC' }).plus({ minutes: bias });
  const local = (utc: string) =>
    DateTime.fromISO(utc, { zone: 'UTC' }).minus({ minutes: bias }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
  const from = toUtc(str(window, 'StartTime') ?? '');
  const to = toUtc(str(window, 'EndTime') ?? '');
  if (!from.isValid || !to.isValid || to <= from)
    throw new EwsSimError('ErrorInvalidTimeInterval', 'The time window is invalid.', { fault: true });
  const responses = list(one(op, 'MailboxDataArray'), 'MailboxData').map((data) => {
    const address = (str(one(data, 'Email'), 'Address') ?? '').toLowerCase();
    const box = boxFor(address);
    if (!box)
      return (
        '<FreeBusyResponse><ResponseMessage ResponseClass="Error">' +
        '<MessageText>The mailbox could not be found.</MessageText>' +
        '<ResponseCode>ErrorMailRecipientNotFound</ResponseCode>' +
        '<DescriptiveLinkKey>0</DescriptiveLinkKey></ResponseMessage></FreeBusyResponse>'
      );
    const events = [...box.items.values()]
      .filter(
        (i) =>
          i.folder === 'calendar' &&
          i.freeBusy !== 'Free' &&
          Date.parse(i.end!) > from.toMillis() &&
          Date.parse(i.start!) < to.toMillis(),
      )
      .sort((a, b) => Date.parse(a.start!) - Date.parse(b.start!))
      .map(
        (i) =>
          `<CalendarEvent><StartTime>${local(i.start!)}</StartTime><EndTime>${local(i.end!)}</EndTime>` +
          `<BusyType>${i.freeBusy}</BusyType></CalendarEvent>`,
      )
      .join('');
    const wh = box.workingHours;
    return (
      '<FreeBusyResponse><ResponseMessage ResponseClass="Success"><ResponseCode>NoError</ResponseCode>' +
      '</ResponseMessage>' +
      `<FreeBusyView>` +
      `<FreeBusyViewType xmlns="http://schemas.microsoft.com/exchange/services/2006/types">FreeBusy</FreeBusyViewType>` +
      `<CalendarEventArray xmlns="http://schemas.microsoft.com/exchange/services/2006/types">${events}</CalendarEventArray>` +
      `<WorkingHours xmlns="http://schemas.microsoft.com/exchange/services/2006/types">${EU_ZONE}<WorkingPeriodArray>` +
      `<WorkingPeriod>` +
      `<DayOfWeek>${wh.days.join(' ')}</DayOfWeek><StartTimeInMinutes>${wh.start}</StartTimeInMinutes>` +
      `<EndTimeInMinutes>${wh.end}</EndTimeInMinutes></WorkingPeriod></WorkingPeriodArray>` +
      `</WorkingHours>` +
      '</FreeBusyView></FreeBusyResponse>'
    );
  });
  return (
    `<GetUserAvailabilityResponse xmlns="http://schemas.microsoft.com/exchange/services/2006/messages">` +
    `<FreeBusyResponseArray>${responses.join('')}</FreeBusyResponseArray></GetUserAvailabilityResponse>`
  );
}
