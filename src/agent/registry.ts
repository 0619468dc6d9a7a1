/** Records of the resources the agent saw being created, keyed weakly by the resource. */
import type { RawFrame, ResourceType } from '../protocol/agentSnapshot';
import type { OwnerInfo } from './ownership';
import { readStack, type StackHolder } from './stacks';

export interface ResourceRecord {
  type: ResourceType;
  createdAt: number;
  owner: OwnerInfo;
  /** Raw stack until the first snapshot formats it. */
  holder: StackHolder | undefined;
  frames: RawFrame[] | undefined;
  siteKey: string | undefined;
  /** Resources this record stands for (promises are sampled: 1 / sampling probability). */
  weight: number;
  endedAt: number | undefined;
  delayMs: number | undefined;
  /** Existed before the agent was installed: `createdAt` is then the install time. */
  preexisting?: boolean;
  /** Sockets: bytes written when a snapshot first saw the owner gone (see `SiteBuilder.add`). */
  writtenWhenOwnerGone?: number;
  /** Sockets: written to after their owner left, so shared (a pool, a client): owner-gone does not apply. */
  sharedAfterOwner?: boolean;
}

/** A record for a creation the agent saw, with its stack (sampled) and owner. */
export function createdRecord(type: ResourceType, holder: StackHolder, owner: OwnerInfo, weight = 1, delayMs?: number): ResourceRecord {
  return { type, createdAt: Date.now(), owner, holder, frames: undefined, siteKey: undefined, weight, endedAt: undefined, delayMs };
}

interface RingEntry {
  record: ResourceRecord;
  resource: WeakRef<object>;
}

/** Recent sampled creations, for per-site created/ended counts and lifetimes. */
const RING_SIZE = 4096;

export class Registry {
  private records = new WeakMap<object, ResourceRecord>();

  /** `formatQueue` receives every record with a stack, to be formatted ahead of snapshots. */
  constructor(private readonly formatQueue: ResourceRecord[]) {}

  private ring: Array<RingEntry | undefined> = new Array(RING_SIZE);
  private ringNext = 0;

  add(resource: object, record: ResourceRecord): ResourceRecord {
    this.records.set(resource, record);
    if (record.holder) {
      this.formatQueue.push(record);
      this.ring[this.ringNext] = { record, resource: new WeakRef(resource) };
      this.ringNext = (this.ringNext + 1) % RING_SIZE;
    }
    return record;
  }

  get(resource: object): ResourceRecord | undefined {
    return this.records.get(resource);
  }

  markEnded(resource: object): void {
    const record = this.records.get(resource);
    if (record && record.endedAt === undefined) record.endedAt = Date.now();
  }

  /** Each ring entry with whether its resource has ended, given a liveness test. */
  *recent(isEnded: (resource: object | undefined, record: ResourceRecord) => boolean): Generator<{ record: ResourceRecord; ended: boolean }> {
    for (const entry of this.ring) {
      if (entry) yield { record: entry.record, ended: entry.record.endedAt !== undefined || isEnded(entry.resource.deref(), entry.record) };
    }
  }

  clear(): void {
    this.records = new WeakMap();
    this.ring = new Array(RING_SIZE);
    sharedSites.clear();
  }
}

/**
 * One site key string per site, shared by its records: thousands of records come from a handful
 * of sites, and each would otherwise hold its own copy in the target's heap (the frames are
 * shared by `readStack`). Bounded, for code that creates sites without end (eval); cleared with
 * the registry.
 */
const sharedSites = new Map<string, string>();
const MAX_SHARED_SITES = 10_000;

/** Formats the record's stack once and returns its site key (undefined without a stack). */
export function siteKeyOf(record: ResourceRecord): string | undefined {
  if (record.siteKey === undefined && record.holder) {
    const read = readStack(record.holder);
    record.holder = undefined;
    // No frame to locate it by: the record is left stackless, so the resource joins the site
    // of its callback's code like an unsampled one, instead of one "no stack" site for all.
    if (!read) return undefined;
    const built = `${record.type}@${read.key}`;
    let siteKey = sharedSites.get(built);
    if (siteKey === undefined) {
      siteKey = built;
      if (sharedSites.size < MAX_SHARED_SITES) sharedSites.set(siteKey, siteKey);
    }
    record.frames = read.frames;
    record.siteKey = siteKey;
  }
  return record.siteKey;
}
