import type { AsyncSnapshotReport, SiteDelta, SiteReport, SnapshotDiff } from '../protocol/asyncSnapshot';

/** Site counts before and after, matched by stable key so the diff also spans a re-attach. */
export function diffSnapshots(previous: AsyncSnapshotReport, current: AsyncSnapshotReport): SnapshotDiff {
  const before = new Map(previous.sites.map((site) => [site.key, site]));
  const sites: SiteDelta[] = current.sites.map((site) => {
    const old = before.get(site.key);
    before.delete(site.key);
    return delta(site, old?.count ?? 0, site.count, old ? 'kept' : 'new');
  });
  for (const gone of before.values()) sites.push(delta(gone, gone.count, 0, 'gone'));
  sites.sort((a, b) => b.delta - a.delta || b.after - a.after || a.key.localeCompare(b.key));
  return {
    elapsedMs: current.takenAt - previous.takenAt,
    liveResourcesDelta: current.liveResources - previous.liveResources,
    sites,
    newSites: sites.filter((site) => site.status === 'new').length,
    goneSites: sites.filter((site) => site.status === 'gone').length,
  };
}

function delta(site: SiteReport, before: number, after: number, status: SiteDelta['status']): SiteDelta {
  return { key: site.key, id: site.id, type: site.type, location: site.location, before, after, delta: after - before, status };
}
