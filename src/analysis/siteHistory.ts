import type { SiteGrowth } from '../protocol/asyncSnapshot';

/** What history keeps of a site: its agent id, its stable key (`stableSiteKey`) and its count. */
export interface SiteCount {
  id: string;
  key: string;
  count: number;
}

interface SnapshotCounts {
  takenAt: number;
  countsByKey: Map<string, number>;
  keysById: Map<string, string>;
}

/**
 * Site counts of the last `capacity` snapshots of one target (one process or worker), for
 * growth and trends. Memory is bounded by `capacity` × sites per snapshot: a site absent from
 * all the snapshots kept is forgotten.
 *
 * Sites are followed by stable key, which survives a re-attach (the agent's ids restart). The
 * agent id bridges a key change within one installation — the same id whose old key vanished,
 * e.g. because a source map became available — but never steals an existing key's history.
 */
export class SiteHistory {
  private readonly snapshots: SnapshotCounts[] = [];

  constructor(readonly capacity = 10) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`history capacity must be a positive integer, got ${capacity}`);
  }

  /** Adds a snapshot and returns each of its sites' growth, by agent id. */
  record(takenAt: number, sites: readonly SiteCount[]): Map<string, SiteGrowth> {
    // Analysing the same snapshot again (e.g. after a source map loaded) must not count twice.
    if (this.snapshots.at(-1)?.takenAt === takenAt) this.snapshots.pop();
    this.snapshots.splice(0, this.snapshots.length - (this.capacity - 1));

    const current: SnapshotCounts = { takenAt, countsByKey: new Map(), keysById: new Map() };
    for (const site of sites) {
      current.countsByKey.set(site.key, site.count);
      current.keysById.set(site.id, site.key);
    }
    const growth = new Map(sites.map((site) => [site.id, this.growthOf(site, current)]));
    this.snapshots.push(current);
    return growth;
  }

  private growthOf(site: SiteCount, current: SnapshotCounts): SiteGrowth {
    const formerKey = this.snapshots.at(-1)?.keysById.get(site.id);
    const bridge =
      formerKey !== undefined &&
      formerKey !== site.key &&
      !current.countsByKey.has(formerKey) &&
      !this.snapshots.some((snapshot) => snapshot.countsByKey.has(site.key));
    const counts = this.snapshots.map(
      (snapshot) => snapshot.countsByKey.get(site.key) ?? (bridge ? snapshot.countsByKey.get(formerKey) : undefined),
    );
    // The trend starts at the first sighting: before it, the agent may not have sampled the site yet.
    const firstSighting = counts.findIndex((count) => count !== undefined);
    const trend = firstSighting < 0 ? [] : counts.slice(firstSighting).map((count) => count ?? 0);
    trend.push(site.count);
    const previous = trend.length > 1 ? trend[trend.length - 2] : null;
    return { previous, delta: previous === null ? null : site.count - previous, trend };
  }
}
