/**
 * Growth by holder: between two heap snapshots of one process, the containers that gained
 * entries (Maps, Sets, arrays, dictionary objects), the listener census of every emitter
 * (EventEmitter `_events`, EventTarget/AbortSignal `kEvents`) and the pending promises whose
 * reactions piled up — whatever their entries are — each with what its new entries are, the
 * bytes they retain (dominator-based) and the hops that hold it, for the engine to name by the
 * program's own variable or property; when the second snapshot carries V8's allocation stacks,
 * also where the new entries were allocated. Containers are matched across snapshots by heap id.
 */
import type { GrownContainer, GrownReactions, HeapEntryKind, HolderGrowth, ListenerGroup } from '../../protocol/heap';
import type { RawHeapSnapshot } from '../parser/parseSnapshot';
import { AllocationSiteCounter, AllocationStacks } from './allocationStacks';
import { analyzeHeap, type HeapAnalysis } from './analyzeHeapGraph';
import { ClosedConnections } from './closedConnections';
import { ContainerReader, functionKey, type EmitterKind, type ListenerVisit } from './containerEntries';
import type { EarlierSnapshot } from './earlierSnapshot';
import { HolderNamer } from './holderHops';
import { RetainerIndex } from './retainers';

export interface HolderGrowthOptions {
  /** Containers and promises that gained fewer entries are not reported (default 3). */
  minAdded?: number;
  /** Emitters with this many listeners of one function on one event are in the census even without growth (default 10). */
  censusMinCount?: number;
  maxContainers?: number;
  maxListenerGroups?: number;
  maxReactions?: number;
}

const MAX_ENTRY_KINDS = 5;
/** Objects looked at per entry when searching what it keeps for a closed connection. */
const OWNER_SEARCH_BUDGET = 64;

/** `later` is consumed (its analysis replaces it). */
export function analyzeHolderGrowth(earlier: EarlierSnapshot, later: RawHeapSnapshot, options: HolderGrowthOptions = {}): HolderGrowth {
  const tableSizes = later.nodeSelfSizes.slice();
  const analysis = analyzeHeap(later);
  const reader = new ContainerReader(analysis.graph, tableSizes);
  const retainers = new RetainerIndex(analysis);
  const study = new GrowthStudy(analysis, reader, earlier, retainers);
  const namer = new HolderNamer(analysis, retainers, reader);
  const minAdded = options.minAdded ?? 3;

  // The leak inspector's own containers (its registries, queues, the emitters it tracks) are not the program's growth.
  const own = analysis.agentOwned;
  const programs = (ordinal: number) => own?.[ordinal] !== 1;
  const listenerGroups = study.listenerGroups(options.censusMinCount ?? 10).filter(({ emitter }) => programs(emitter)).slice(0, options.maxListenerGroups ?? 200);
  const listenerStores = study.listenerStores;
  const containers = study.grownContainers(minAdded, listenerStores).filter(({ ordinal }) => programs(ordinal)).slice(0, options.maxContainers ?? 50);
  const reactions = study.grownReactions(minAdded).filter(({ ordinal }) => programs(ordinal)).slice(0, options.maxReactions ?? 50);

  const result: HolderGrowth = {
    containers: containers.map(({ ordinal, grown }) => ({ ...grown, holder: namer.hopsOf(ordinal) })),
    listeners: listenerGroups.map(({ emitter, group }) => ({ ...group, holder: namer.hopsOf(emitter) })),
    reactions: reactions.map(({ ordinal, grown }) => ({ ...grown, holder: namer.hopsOf(ordinal) })),
    ...(study.allocations && { allocationStacks: true }),
  };
  namer.locateScopes([...result.containers, ...result.listeners, ...result.reactions].map((item) => item.holder));
  return result;
}

type Draft<T> = Omit<T, 'holder'>;

class GrowthStudy {
  /** Arrays and maps that hold an emitter's listeners: reported by the census, not as containers. */
  readonly listenerStores = new Set<number>();
  /** V8's allocation stacks, when allocation tracking ran before the second snapshot. */
  readonly allocations: AllocationStacks | undefined;
  private readonly connections: ClosedConnections;

  constructor(
    private readonly analysis: HeapAnalysis,
    private readonly reader: ContainerReader,
    private readonly earlier: EarlierSnapshot,
    private readonly retainers: RetainerIndex,
  ) {
    this.connections = new ClosedConnections(analysis.graph);
    this.allocations = AllocationStacks.of(analysis.graph);
  }

  private isNew(node: number): boolean {
    return !this.earlier.has(this.analysis.graph.raw.nodeIds[node]);
  }

  grownContainers(minAdded: number, exclude: Set<number>): Array<{ ordinal: number; grown: Draft<GrownContainer> }> {
    const { graph, retainedSizes } = this.analysis;
    const found: Array<{ ordinal: number; grown: Draft<GrownContainer> }> = [];
    for (let node = 0; node < graph.nodeCount; node++) {
      const kind = this.reader.containerKind(node);
      if (!kind || exclude.has(node)) continue;
      const beforeCount = this.earlier.count(graph.raw.nodeIds[node]);
      if (beforeCount === undefined) continue;
      const afterCount = this.reader.count(node, kind);
      if (afterCount - beforeCount < minAdded) continue;
      const kinds = new EntryKinds(this.analysis, this.retainers, this.allocations);
      let newEntries = 0;
      let addedBytes = 0;
      let ownerGone = 0;
      this.reader.entries(node, kind, (entry) => {
        if (!this.isNew(entry)) return;
        newEntries++;
        addedBytes += retainedSizes[entry];
        kinds.add(entry, retainedSizes[entry]);
        if (this.keepsClosedConnection(entry)) ownerGone++;
      });
      if (newEntries === 0) continue;
      found.push({ ordinal: node, grown: { kind, container: this.retainers.object(node), beforeCount, afterCount, newEntries, addedBytes, entryKinds: kinds.top(), ownerGone } });
    }
    return found.sort((a, b) => b.grown.afterCount - b.grown.beforeCount - (a.grown.afterCount - a.grown.beforeCount) || b.grown.addedBytes - a.grown.addedBytes);
  }

  listenerGroups(censusMinCount: number): Array<{ emitter: number; group: Draft<ListenerGroup> }> {
    const { graph, retainedSizes } = this.analysis;
    const groups = new Map<string, { emitter: number; kind: EmitterKind; event: string; fn: number; count: number; fresh: number; bytes: number; added: number; gone: number; sites?: AllocationSiteCounter }>();
    this.reader.forEachListener((listener: ListenerVisit) => {
      this.listenerStores.add(listener.store);
      const key = `${listener.emitter}\u0000${listener.event}\u0000${functionKey(graph, listener.fn)}`;
      let group = groups.get(key);
      if (!group) {
        group = { emitter: listener.emitter, kind: listener.kind, event: listener.event, fn: listener.fn, count: 0, fresh: 0, bytes: 0, added: 0, gone: 0 };
        if (this.allocations) group.sites = new AllocationSiteCounter(this.allocations);
        groups.set(key, group);
      }
      group.count++;
      // A Listener record dominates the records after it in its list: count its function and itself only.
      const bytes = listener.record === listener.fn || listener.fn < 0 ? retainedSizes[listener.record] : retainedSizes[listener.fn] + graph.raw.nodeSelfSizes[listener.record];
      group.bytes += bytes;
      if (this.isNew(listener.record)) {
        group.fresh++;
        group.added += bytes;
        if (this.keepsClosedConnection(listener.fn >= 0 ? listener.fn : listener.record)) group.gone++;
        // The record is the function itself, or what Node made for it (a `once` wrapper, an EventTarget `Listener`), whose program frame is the registering call.
        group.sites?.add(listener.record);
      }
    });
    const found: Array<{ emitter: number; group: Draft<ListenerGroup> }> = [];
    for (const group of groups.values()) {
      const emitterId = graph.raw.nodeIds[group.emitter];
      const emitterWasAlive = this.earlier.has(emitterId);
      const beforeCount = emitterWasAlive ? this.earlier.listenerCount(emitterId, group.event, functionKey(graph, group.fn)) : 0;
      const grew = emitterWasAlive && group.count > beforeCount && group.fresh > 0;
      if (!grew && group.count < censusMinCount) continue;
      const fn = group.fn >= 0 ? this.retainers.object(group.fn) : undefined;
      found.push({
        emitter: group.emitter,
        group: {
          emitter: this.retainers.object(group.emitter),
          emitterKind: group.kind,
          event: group.event,
          listener: { name: fn?.name ?? '', ...(fn?.location && { location: fn.location }) },
          beforeCount,
          afterCount: group.count,
          newListeners: group.fresh,
          retainedBytes: group.bytes,
          addedBytes: group.added,
          ownerGone: group.gone,
          ...(group.sites && { allocatedBy: group.sites.top() }),
        },
      });
    }
    return found.sort((a, b) => b.group.afterCount - b.group.beforeCount - (a.group.afterCount - a.group.beforeCount) || b.group.afterCount - a.group.afterCount);
  }

  grownReactions(minAdded: number): Array<{ ordinal: number; grown: Draft<GrownReactions> }> {
    const { graph, retainedSizes } = this.analysis;
    const { firstEdges, edgeTargets, nodeTypes } = graph.raw;
    const found: Array<{ ordinal: number; grown: Draft<GrownReactions> }> = [];
    for (let node = 0; node < graph.nodeCount; node++) {
      if (nodeTypes[node] !== graph.type.object) continue;
      const afterCount = this.reader.reactions(node);
      if (afterCount < minAdded) continue;
      const beforeCount = this.earlier.count(graph.raw.nodeIds[node]);
      if (beforeCount === undefined || afterCount - beforeCount < minAdded) continue;
      const handlers = new EntryKinds(this.analysis, this.retainers, this.allocations);
      let newReactions = 0;
      let addedBytes = 0;
      this.reader.reactions(node, (reaction) => {
        if (!this.isNew(reaction)) return;
        newReactions++;
        let bytes = 0;
        let handler = -1;
        for (let e = firstEdges[reaction]; e < firstEdges[reaction + 1]; e++) {
          const target = edgeTargets[e];
          if (this.reader.isReaction(target) || this.reader.isOddball(target)) continue;
          bytes += retainedSizes[target];
          if (nodeTypes[target] === graph.type.closure && (handler < 0 || !this.located(handler))) handler = target;
        }
        addedBytes += bytes;
        // The reaction record was allocated by whatever called `then` or awaited: where the reaction was added.
        if (handler >= 0) handlers.add(this.located(handler) ? handler : this.asyncFunctionOf(handler), bytes, reaction);
      });
      if (newReactions === 0) continue;
      found.push({ ordinal: node, grown: { promise: this.retainers.object(node), beforeCount, afterCount, newReactions, addedBytes, handlers: handlers.top() } });
    }
    return found.sort((a, b) => b.grown.newReactions - a.grown.newReactions);
  }

  private located(node: number): boolean {
    return (this.analysis.graph.raw.nodeLocations?.[node] ?? 0) !== 0;
  }

  /**
   * An `await`'s reaction handler is a built-in closure without a location; its context holds
   * the suspended async function (V8's generator object, located at the function).
   */
  private asyncFunctionOf(handler: number): number {
    const { firstEdges, edgeTargets } = this.analysis.graph.raw;
    const queue = [handler];
    for (let depth = 0; depth < 2; depth++) {
      const next: number[] = [];
      for (const node of queue) {
        for (let e = firstEdges[node]; e < firstEdges[node + 1]; e++) {
          const target = edgeTargets[e];
          if (this.located(target) && this.analysis.graph.raw.nodeTypes[target] === this.analysis.graph.type.object) return target;
          next.push(target);
        }
      }
      queue.splice(0, queue.length, ...next.slice(0, 32));
    }
    return handler;
  }

  /** Whether what `start` keeps (a few hops over properties and closure variables) includes a closed connection. */
  private keepsClosedConnection(start: number): boolean {
    return this.connections.keepsClosedConnection(start, { budget: OWNER_SEARCH_BUDGET });
  }
}

/** New entries grouped by class (closures by function), with their retained bytes and, with allocation stacks, where they were allocated. */
class EntryKinds {
  private readonly kinds = new Map<string, HeapEntryKind>();
  private readonly sites = new Map<HeapEntryKind, AllocationSiteCounter>();

  constructor(
    private readonly analysis: HeapAnalysis,
    private readonly retainers: RetainerIndex,
    private readonly allocations: AllocationStacks | undefined,
  ) {}

  /** `allocated`: the object whose allocation stack counts (the entry itself unless said). */
  add(node: number, bytes: number, allocated = node): void {
    const { graph, classNames } = this.analysis;
    const className = graph.string(classNames[node]);
    const closure = graph.raw.nodeTypes[node] === graph.type.closure;
    const key = `${className}\u0000${closure ? functionKey(graph, node) : ''}`;
    let kind = this.kinds.get(key);
    if (!kind) {
      const ref = this.retainers.object(node);
      kind = { className, count: 0, bytes: 0 };
      if (ref.location) kind.location = ref.location;
      if (closure) kind.functionName = ref.name;
      this.kinds.set(key, kind);
      if (this.allocations) this.sites.set(kind, new AllocationSiteCounter(this.allocations));
    }
    kind.count++;
    kind.bytes += bytes;
    this.sites.get(kind)?.add(allocated);
  }

  top(): HeapEntryKind[] {
    const top = [...this.kinds.values()].sort((a, b) => b.count - a.count || b.bytes - a.bytes).slice(0, MAX_ENTRY_KINDS);
    return top.map((kind) => {
      const sites = this.sites.get(kind);
      return sites ? { ...kind, allocatedBy: sites.top() } : kind;
    });
  }
}
