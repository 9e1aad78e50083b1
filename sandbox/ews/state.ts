import { randomBytes } from 'node:crypto';

/**
 * The simulated Exchange mailboxes: items in well-known folders, each mailbox's event log (what pull
 * subscriptions and SyncFolderItems read), and the pull subscriptions. Ids look like Exchange's
 * (base64 blobs); watermarks and sync states are opaque base64 strings too.
 */
export const FOLDERS = ['drafts', 'sentitems', 'inbox', 'deleteditems', 'calendar'] as const;
export type SimFolder = (typeof FOLDERS)[number];

export interface SimItem {
  id: string;
  changeKey: string;
  mailbox: string;
  folder: SimFolder;
  kind: 'Message' | 'CalendarItem';
  subject: string;
  body: string;
  bodyType: 'Text' | 'HTML';
  categories: string[];
  /** draftbridge's (or anyone's) named String properties: `${propertySetId}|${name}` → value. */
  properties: Map<string, string>;
  to: string[];
  from: string;
  isDraft: boolean;
  conversationId: string;
  internetMessageId: string;
  start?: string;
  end?: string;
  freeBusy?: 'Busy' | 'Tentative' | 'Free' | 'OOF';
  attendees?: string[];
  created: number;
}

export type SimEventType = 'CreatedEvent' | 'NewMailEvent' | 'DeletedEvent' | 'MovedEvent' | 'ModifiedEvent';

export interface SimEvent {
  index: number;
  watermark: string;
  type: SimEventType;
  itemId: string;
  folder: SimFolder;
  oldItemId?: string;
  oldFolder?: SimFolder;
  at: string;
}

export interface SimSubscription {
  id: string;
  mailbox: string;
  folders: Set<SimFolder>;
  eventTypes: Set<string>;
  /** The index of the last event handed out (or the position at subscription). */
  position: number;
  timeoutMinutes: number;
  lastSeen: number;
}

export interface SimMailbox {
  address: string;
  folderIds: Record<SimFolder, string>;
  items: Map<string, SimItem>;
  events: SimEvent[];
  /** Working hours as GetUserAvailability returns them (minutes after local midnight, Berlin). */
  workingHours: { days: string[]; start: number; end: number };
}

export const newItemId = () => `AAMkAD${randomBytes(36).toString('base64')}`;
export const newChangeKey = () => `CQAAABYAAAD${randomBytes(12).toString('base64')}`;
export const newConversationId = () => `AAQkAD${randomBytes(24).toString('base64')}`;

export class SimExchange {
  readonly mailboxes = new Map<string, SimMailbox>();
  readonly subscriptions = new Map<string, SimSubscription>();
  private readonly watermarks = new Map<string, { mailbox: string; index: number }>();

  addMailbox(address: string): SimMailbox {
    const key = address.toLowerCase();
    const existing = this.mailboxes.get(key);
    if (existing) return existing;
    const folderIds = Object.fromEntries(
      FOLDERS.map((f) => [f, `AQMkAD${randomBytes(30).toString('base64')}`]),
    ) as Record<SimFolder, string>;
    const box: SimMailbox = {
      address: key,
      folderIds,
      items: new Map(),
      events: [],
      workingHours: {
        days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'],
        start: 8 * 60,
        end: 17 * 60,
      },
    };
    this.mailboxes.set(key, box);
    this.watermark(box, 0);
    return box;
  }

  mailbox(address: string): SimMailbox | undefined {
    return this.mailboxes.get(address.toLowerCase());
  }

  folderById(box: SimMailbox, id: string): SimFolder | undefined {
    return FOLDERS.find((f) => box.folderIds[f] === id);
  }

  /** The watermark of a mailbox's position (0 = before every event). */
  watermark(box: SimMailbox, index: number): string {
    const mark = Buffer.from(`${box.address}\0${index}\0${randomBytes(6).toString('hex')}`).toString(
      'base64',
    );
    this.watermarks.set(mark, { mailbox: box.address, index });
    return mark;
  }

  position(mark: string): { mailbox: string; index: number } | undefined {
    return this.watermarks.get(mark);
  }

  record(box: SimMailbox, event: Omit<SimEvent, 'index' | 'watermark' | 'at'>): void {
    const index = box.events.length + 1;
    box.events.push({ ...event, index, watermark: this.watermark(box, index), at: new Date().toISOString() });
  }

  put(item: SimItem): void {
    const box = this.mailbox(item.mailbox)!;
    box.items.set(item.id, item);
    this.record(box, { type: 'CreatedEvent', itemId: item.id, folder: item.folder });
    if (item.folder === 'inbox')
      this.record(box, { type: 'NewMailEvent', itemId: item.id, folder: item.folder });
  }

  /** Moves an item: a new id in the new folder (as Exchange does across folders). */
  move(item: SimItem, folder: SimFolder, changes: Partial<SimItem> = {}): SimItem {
    const box = this.mailbox(item.mailbox)!;
    box.items.delete(item.id);
    const moved: SimItem = { ...item, ...changes, id: newItemId(), changeKey: newChangeKey(), folder };
    box.items.set(moved.id, moved);
    this.record(box, {
      type: 'MovedEvent',
      itemId: moved.id,
      folder,
      oldItemId: item.id,
      oldFolder: item.folder,
    });
    return moved;
  }

  remove(item: SimItem): void {
    const box = this.mailbox(item.mailbox)!;
    box.items.delete(item.id);
    this.record(box, { type: 'DeletedEvent', itemId: item.id, folder: item.folder });
  }

  findItem(id: string): SimItem | undefined {
    for (const box of this.mailboxes.values()) {
      const item = box.items.get(id);
      if (item) return item;
    }
    return undefined;
  }
}
