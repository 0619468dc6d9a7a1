/**
 * Growth by holder, as suspects: the containers, listeners and promise reactions that grew
 * between two heap snapshots (see `heap/analysis/holderGrowth.ts`), each named by the program's
 * own variable or property that holds it (`rooms`, `.subscriptions of PresenceBus`, `process`)
 * and located at that declaration in the original TypeScript, or at the listener's or
 * handler's function. With V8's allocation stacks, the functions that allocated the new entries
 * (`allocated by join (lobby.ts:46) ×20`) are details, and their stacks the suspect's `paths`.
 * What only Node's internals or the agent hold is never reported.
 */
import { readFile } from 'node:fs/promises';
import type { ScoreFactor, SourceLocation, StackFrame } from '../protocol/asyncSnapshot';
import type { GrownContainer, GrownReactions, HeapAllocationFrame, HeapAllocationSite, HeapEntryKind, HeapScriptLocation, HolderGrowth, HolderHop, ListenerGroup } from '../protocol/heap';
import type { Suspect, SuspectPath } from '../protocol/report';
import { formatBytes } from '../presentation/bytes';
import { isUserFrame, type MappedLocation, type ResolvedLocation } from '../sourcemap';
import { AGENT_SCRIPT_URL } from '../agent/stacks';
import type { InspectorSession, ScriptPosition } from './inspectorSession';
import { scoreHolderGrowth, type HolderLifetime } from './holderScore';

/**
 * What naming needs from a session: script positions to original sources, their text, and the
 * generated scripts' text (where a variable of a bundle is declared).
 */
export type SourceLookup = Pick<InspectorSession, 'resolveScriptPositions' | 'sourceContent'> & Partial<Pick<InspectorSession, 'scriptSource'>>;

/** Globals Node defines: a container reached only through one of them is Node's, not the program's. */
const NODE_GLOBALS = new Set(['process', 'Buffer', 'global', 'globalThis', 'console', 'performance', 'navigator', 'crypto', 'fetch', 'require', 'module']);

interface NamedHolder {
  name: string;
  location: SourceLocation | null;
  lifetime: HolderLifetime;
  /** Named by the program's own variable or class (not only a global). */
  own: boolean;
  /** How `location` was found: the variable's declaration, or (not found) a function closing over it. */
  declaredBy?: DeclaredBy;
}

/** Allocation stacks of one suspect's new objects merged by the program's frame they reach first. */
interface AllocatedBy {
  functionName: string;
  location: SourceLocation;
  count: number;
  /** From that frame outward, original-source positions. */
  stack: StackFrame[];
}

type DeclaredBy = 'declaration' | 'closure';

/** Suspects of kinds `holder`, `listener` and `promise-reactions`, highest score first. */
export async function holderGrowthSuspects(growth: HolderGrowth, sources: SourceLookup, thread = 'main'): Promise<Suspect[]> {
  const namer = new SuspectNamer(sources, growth.allocationStacks === true);
  await namer.resolve(growth);
  const suspects: Suspect[] = [];
  for (const container of growth.containers) {
    const suspect = await namer.containerSuspect(container, thread);
    if (suspect) suspects.push(suspect);
  }
  for (const group of growth.listeners) {
    const suspect = await namer.listenerSuspect(group, thread);
    if (suspect) suspects.push(suspect);
  }
  for (const reactions of growth.reactions) {
    const suspect = await namer.reactionsSuspect(reactions, thread);
    if (suspect) suspects.push(suspect);
  }
  return mergeByKey(suspects).sort((a, b) => b.score - a.score || (b.growth ?? 0) - (a.growth ?? 0));
}

class SuspectNamer {
  private readonly locations = new Map<string, ResolvedLocation | undefined>();
  private readonly sourceTexts = new Map<string, Promise<string[] | undefined>>();
  private readonly scriptTexts = new Map<string, Promise<string[] | undefined>>();

  constructor(
    private readonly sources: SourceLookup,
    /** The second snapshot carried allocation stacks: say so when a group's entries have none. */
    private readonly allocationStacks: boolean,
  ) {}

  /** Resolves every script position the results mention, in one batch. */
  async resolve(growth: HolderGrowth): Promise<void> {
    const positions = new Map<string, HeapScriptLocation>();
    const add = (location: HeapScriptLocation | undefined) => {
      if (location) positions.set(positionKey(location), location);
    };
    const addHops = (hops: HolderHop[]) => {
      for (const hop of hops) {
        add(hop.from.location);
        add(hop.scopeFunction?.location);
      }
    };
    const addSites = (sites: HeapAllocationSite[] | undefined) => {
      for (const site of sites ?? []) [site, ...site.callers].forEach((frame) => add(frame.location));
    };
    for (const container of growth.containers) {
      addHops(container.holder);
      container.entryKinds.forEach((kind) => (add(kind.location), addSites(kind.allocatedBy)));
    }
    for (const group of growth.listeners) {
      addHops(group.holder);
      add(group.listener.location);
      addSites(group.allocatedBy);
    }
    for (const reactions of growth.reactions) {
      addHops(reactions.holder);
      reactions.handlers.forEach((kind) => (add(kind.location), addSites(kind.allocatedBy)));
    }
    const list = [...positions.values()];
    const resolved = await this.sources.resolveScriptPositions(list.map(toScriptPosition));
    list.forEach((location, i) => this.locations.set(positionKey(location), resolved[i]));
  }

  async containerSuspect(container: GrownContainer, thread: string): Promise<Suspect | undefined> {
    const holder = await this.nameHolder(container.holder, false);
    if (!holder) return undefined;
    const { beforeCount, afterCount, newEntries, addedBytes, ownerGone, kind } = container;
    const added = afterCount - beforeCount;
    const { score, severity, factors } = scoreHolderGrowth({ noun: 'entries', beforeCount, afterCount, newCount: newEntries, addedBytes, lifetime: holder.lifetime, holderName: holder.name, ownerGone });
    const allocated = container.entryKinds.map((entry) => this.allocatedBy(entry.allocatedBy));
    return this.suspect('holder', holder, thread, {
      title: `+${added} entries in ${holder.name} (${kind})`,
      location: holder.location,
      score, severity, factors, count: afterCount, growth: added, retainedBytes: addedBytes,
      details: [
        { label: 'holder', value: `${holder.name} (${kind} @${container.container.id})` },
        { label: 'entries', value: `${beforeCount} → ${afterCount}; ${newEntries} new` },
        ...container.entryKinds.flatMap((entry, i) => [
          { label: 'new entries', value: this.describeEntries(entry) },
          ...this.allocationDetails(allocated[i], entry.count, 'entries'),
        ]),
        { label: 'held by', value: hopsText(container.holder) },
        ...locatedNote(holder),
      ],
      paths: allocationPaths(allocated.flat()),
    });
  }

  async listenerSuspect(group: ListenerGroup, thread: string): Promise<Suspect | undefined> {
    const holder = await this.nameHolder(group.holder, true);
    if (holder === null) return undefined;
    const listenerAt = group.listener.location && this.locations.get(positionKey(group.listener.location));
    const ownListener = listenerAt !== undefined && isUserFrame(listenerAt);
    if (!holder?.own && !ownListener) return undefined;
    const emitterName = holder?.name ?? `${group.emitter.className} @${group.emitter.id}`;
    const { beforeCount, afterCount, newListeners, addedBytes, ownerGone, event } = group;
    const added = Math.max(0, afterCount - beforeCount);
    const named: NamedHolder = holder ?? { name: emitterName, location: null, lifetime: 'unknown', own: false };
    const { score, severity, factors } = scoreHolderGrowth({ noun: 'listeners', beforeCount, afterCount, newCount: newListeners, addedBytes, lifetime: named.lifetime, holderName: emitterName, ownerGone });
    const fn = group.listener.name ? `${group.listener.name}()` : 'anonymous function';
    const allocated = this.allocatedBy(group.allocatedBy);
    return this.suspect('listener', named, thread, {
      title: added > 0 ? `+${added} '${event}' listeners on ${emitterName}` : `${afterCount} '${event}' listeners on ${emitterName}`,
      location: ownListener ? sourceLocation(listenerAt) : named.location,
      keyExtra: event,
      score, severity, factors, count: afterCount, growth: added, retainedBytes: group.retainedBytes,
      details: [
        { label: 'emitter', value: `${emitterName} (${group.emitterKind} @${group.emitter.id})${named.location ? ` declared at ${where(named.location)}` : ''}` },
        { label: 'listener', value: `${fn}${listenerAt ? ` at ${where(sourceLocation(listenerAt))}` : ''}` },
        { label: 'listeners', value: `${beforeCount} → ${afterCount}; ${newListeners} new, keeping ${formatBytes(addedBytes)}` },
        ...this.allocationDetails(allocated, newListeners, 'listeners', 'registered by'),
        { label: 'held by', value: hopsText(group.holder) },
        ...locatedNote(named),
      ],
      paths: allocationPaths(allocated),
    });
  }

  async reactionsSuspect(reactions: GrownReactions, thread: string): Promise<Suspect | undefined> {
    const holder = await this.nameHolder(reactions.holder, false);
    if (holder === null) return undefined;
    const handler = reactions.handlers.map((kind) => ({ kind, at: kind.location && this.locations.get(positionKey(kind.location)) })).find(({ at }) => at && isUserFrame(at));
    if (!holder?.own && !handler) return undefined;
    const promiseName = holder?.name ?? `Promise @${reactions.promise.id}`;
    const named: NamedHolder = holder ?? { name: promiseName, location: null, lifetime: 'unknown', own: false };
    const { beforeCount, afterCount, newReactions, addedBytes } = reactions;
    const added = afterCount - beforeCount;
    const { score, severity, factors } = scoreHolderGrowth({ noun: 'reactions', beforeCount, afterCount, newCount: newReactions, addedBytes, lifetime: named.lifetime, holderName: promiseName, ownerGone: 0 });
    const allocated = reactions.handlers.map((kind) => this.allocatedBy(kind.allocatedBy));
    return this.suspect('promise-reactions', named, thread, {
      title: `+${added} reactions on the pending promise ${promiseName}`,
      location: handler?.at ? sourceLocation(handler.at) : named.location,
      score, severity, factors, count: afterCount, growth: added, retainedBytes: addedBytes,
      details: [
        { label: 'promise', value: `${promiseName} (Promise @${reactions.promise.id})${named.location ? ` declared at ${where(named.location)}` : ''}` },
        { label: 'reactions', value: `${beforeCount} → ${afterCount}; ${newReactions} new, keeping ${formatBytes(addedBytes)}` },
        ...reactions.handlers.flatMap((kind, i) => [{ label: 'handlers', value: this.describeEntries(kind) }, ...this.allocationDetails(allocated[i], kind.count, 'reactions', 'added by')]),
        { label: 'held by', value: hopsText(reactions.holder) },
        ...locatedNote(named),
      ],
      paths: allocationPaths(allocated.flat()),
    });
  }

  private suspect(
    kind: Suspect['kind'],
    holder: NamedHolder,
    thread: string,
    fields: Pick<Suspect, 'title' | 'location' | 'score' | 'severity' | 'count' | 'growth' | 'retainedBytes' | 'details' | 'paths'> & { factors: ScoreFactor[]; keyExtra?: string },
  ): Suspect {
    const { keyExtra, ...rest } = fields;
    const at = fields.location ? `${fields.location.path}:${fields.location.line}` : '?';
    return { kind, key: [kind, at, holder.name, keyExtra].filter((part) => part !== undefined).join('|'), holder: holder.name, thread, estimated: false, ...rest };
  }

  /**
   * Allocation sites in the original sources: each stack at its first frame outside libraries
   * (the analysis already skipped Node's internals and the agent), merged by that frame. A
   * stack that runs only in libraries is left out.
   */
  private allocatedBy(sites: HeapAllocationSite[] | undefined): AllocatedBy[] {
    const merged = new Map<string, AllocatedBy>();
    for (const site of sites ?? []) {
      const frames = [site, ...site.callers].map((frame) => ({ frame, at: this.locations.get(positionKey(frame.location)) }));
      const first = frames.findIndex(({ at }) => at && isUserFrame(at));
      if (first < 0) continue;
      const stack = frames.slice(first).flatMap(({ frame, at }) => (at ? [stackFrame(frame, at)] : []));
      const [top] = stack;
      const key = `${top.functionName}|${top.path}:${top.line}`;
      const seen = merged.get(key);
      if (seen) seen.count += site.count;
      else merged.set(key, { functionName: top.functionName, location: { path: top.path, line: top.line, column: top.column }, count: site.count, stack });
    }
    return [...merged.values()].sort((a, b) => b.count - a.count);
  }

  /** `allocated by: join (/app/lobby.ts:46) ×20`; with allocation stacks but none for these objects, says so. */
  private allocationDetails(allocated: AllocatedBy[], total: number, noun: string, label = 'allocated by'): Array<{ label: string; value: string }> {
    if (allocated.length > 0) {
      const traced = allocated.reduce((sum, site) => sum + site.count, 0);
      const sites = allocated.map((site) => `${site.functionName} (${where(site.location)}) ×${site.count}`).join(', ');
      return [{ label, value: traced < total ? `${sites} (of ${total} new ${noun}; the others have no allocation stack in the program's code)` : sites }];
    }
    if (!this.allocationStacks || total === 0) return [];
    return [{ label, value: `unknown: none of the ${total} new ${noun} has an allocation stack in the program's code` }];
  }

  /** `20 × {id, socket} (12.5 KiB)`, closures as `20 × closure onTick() at presence.ts:12 (…)`. */
  private describeEntries(entry: HeapEntryKind): string {
    const at = entry.location && this.locations.get(positionKey(entry.location));
    const what = entry.className === 'Function' ? `closure ${entry.functionName || 'anonymous'}()` : entry.className;
    return `${entry.count} × ${what}${at ? ` at ${where(sourceLocation(at))}` : ''} (${formatBytes(entry.bytes)})`;
  }

  /**
   * The first hop a user knows, from the object up: a variable of the program's own code, a
   * property of an object of one of its classes, or a global; with the accesses below it
   * (`state.players`, `.subscriptions of PresenceBus`). Null for the agent's own objects;
   * undefined when only Node's internals or libraries hold it. A container or promise that is
   * internal state of a Node or library object (a property of an object whose constructor is
   * not the program's, a variable of a library's closure) is not the program's holder even when
   * a variable of the program holds that object (`httpServer[kServerResponse]…`): the program's
   * holder of library objects is its own container of them, reported when it grows. Emitters
   * are named through such objects (`shutdown.signal`): their listeners are the program's.
   */
  private async nameHolder(hops: HolderHop[], emitter: boolean): Promise<NamedHolder | null | undefined> {
    if (hops.some((hop) => hop.agent)) return null;
    for (let i = 0; i < hops.length; i++) {
      const hop = hops[i];
      const below = accessText(hops.slice(0, i));
      if (this.isAgent(hop)) return null;
      if (hop.global) {
        // `globalThis.cache.get(…)` is the program's; a path through a function's closure (Node's or a wrapper's) is not.
        if (below.includes('…') || (!emitter && NODE_GLOBALS.has(hop.edgeName))) return undefined;
        const name = hop.edgeName === 'process' ? 'process' : `globalThis.${hop.edgeName}`;
        return { name: `${name}${below}`, location: null, lifetime: 'process', own: hop.edgeName !== 'process' };
      }
      if (hop.edgeType === 'context') {
        const variable = await this.contextVariable(hop);
        if (variable === 'library' && !emitter) return undefined;
        if (!variable || variable === 'library') continue;
        return { name: `${hop.edgeName}${below}`, ...variable, own: true };
      }
      const classAt = hop.from.location && this.locations.get(positionKey(hop.from.location));
      if (classAt && isUserFrame(classAt) && (hop.edgeType === 'property' || hop.edgeType === 'element' || hop.edgeType === 'internal')) {
        const className = hop.from.className === 'Function' ? `${hop.from.name || 'anonymous'}()` : hop.from.className;
        const declared = hop.edgeType === 'property' ? await this.declaration(classAt.path, hop.edgeName, classAt.line, 'property') : undefined;
        return { name: `${hop.edgeLabel}${below} of ${className}`, location: declared ?? sourceLocation(classAt), lifetime: 'object', own: true };
      }
      if (classAt && !isUserFrame(classAt) && !emitter) return undefined;
    }
    return undefined;
  }

  /**
   * Where a context variable of the program is declared. A closure over the context gives the
   * script; the declaration is searched in the generated script V8 runs (in a bundle, every
   * module's top-level variables share one context, so the closure found may be any module's
   * function) and mapped through the source map to the one original file that declares it.
   * Without the script's text, the closure's own original file is searched, and failing that
   * the closure itself is the location, said in `declaredBy`. `library` when the declaration
   * (or the closure) is a library's or Node's; undefined when no closure over it is known.
   */
  private async contextVariable(hop: HolderHop): Promise<{ location: SourceLocation; lifetime: HolderLifetime; declaredBy: DeclaredBy } | 'library' | undefined> {
    const closure = hop.scopeFunction?.location;
    if (!closure) return undefined;
    const generated = await this.generatedDeclaration(closure, hop.edgeName);
    if (generated) {
      if (!isUserFrame(generated.at)) return 'library';
      const original = await this.declaration(generated.at.path, hop.edgeName, generated.at.line, 'variable');
      // The map points at the declaring statement; the original text gives the exact line when the name is there.
      const location = original && Math.abs(original.line - generated.at.line) <= 2 ? original : sourceLocation(generated.at);
      const topLevel = generated.topLevel || original?.topLevel === true;
      return { location, lifetime: topLevel ? 'process' : 'scope', declaredBy: 'declaration' };
    }
    const scope = this.locations.get(positionKey(closure));
    if (!scope) return undefined;
    if (!isUserFrame(scope)) return 'library';
    const declared = await this.declaration(scope.path, hop.edgeName, scope.line, 'variable');
    if (declared) return { location: declared, lifetime: declared.topLevel ? 'process' : 'scope', declaredBy: 'declaration' };
    return { location: sourceLocation(scope), lifetime: 'scope', declaredBy: 'closure' };
  }

  /**
   * The declaration of `name` in the generated script of `closure` (a function over its scope),
   * mapped to the original source: the last one at or before the closure, else the first after
   * it (only top-level ones for a top-level closure). Undefined when the script text or a mapped declaration is not to be had.
   */
  private async generatedDeclaration(closure: HeapScriptLocation, name: string): Promise<{ at: MappedLocation; topLevel: boolean } | undefined> {
    if (!/^[\w$]+$/.test(name)) return undefined;
    const lines = await this.scriptLines(String(closure.scriptId));
    if (!lines) return undefined;
    let found = declarationLines(lines, name, 'variable');
    // A closure on an unindented line is a top-level function: its context is the script's own scope.
    if (!/^\s/.test(lines[closure.line] ?? ' ')) found = found.filter((l) => !/^\s/.test(lines[l - 1]));
    if (found.length === 0) return undefined;
    const line = found.filter((l) => l <= closure.line + 1).pop() ?? found[0];
    const text = lines[line - 1];
    const column = Math.max(0, text.search(new RegExp(`\\b${escapeName(name)}\\b`)));
    const [at] = await this.sources.resolveScriptPositions([{ scriptId: String(closure.scriptId), lineNumber: line - 1, columnNumber: column }]);
    if (!at?.mapped) return undefined;
    return { at, topLevel: !/^\s/.test(text) };
  }

  private scriptLines(scriptId: string): Promise<string[] | undefined> {
    let text = this.scriptTexts.get(scriptId);
    if (!text) {
      text = (this.sources.scriptSource?.(scriptId) ?? Promise.resolve(undefined)).then((content) => content?.split(/\r?\n/)).catch(() => undefined);
      this.scriptTexts.set(scriptId, text);
    }
    return text;
  }

  /** A hop inside the agent's own script (its wrappers and records): never the program's. */
  private isAgent(hop: HolderHop): boolean {
    return [hop.from.location, hop.scopeFunction?.location].some((location) => location && this.locations.get(positionKey(location))?.generated.url.endsWith(AGENT_SCRIPT_URL));
  }

  /**
   * The declaration of `name` in an original source: for a variable, the last one at or before
   * `nearLine` (the closure over its scope), else the first; for a property, the first class
   * field or `this.name =` from the class's line on.
   */
  private async declaration(file: string, name: string, nearLine: number, kind: 'variable' | 'property'): Promise<(SourceLocation & { topLevel: boolean }) | undefined> {
    if (!/^[\w$]+$/.test(name)) return undefined;
    const lines = await this.sourceLines(file);
    if (!lines) return undefined;
    const found = declarationLines(lines, name, kind);
    if (found.length === 0) return undefined;
    const line = kind === 'variable' ? (found.filter((l) => l <= nearLine).pop() ?? found[0]) : (found.find((l) => l >= nearLine) ?? found[0]);
    const text = lines[line - 1];
    const column = Math.max(0, text.search(new RegExp(`\\b${escapeName(name)}\\b`))) + 1;
    return { path: file, line, column, topLevel: !/^\s/.test(text) };
  }

  private sourceLines(file: string): Promise<string[] | undefined> {
    let text = this.sourceTexts.get(file);
    if (!text) {
      text = readFile(file, 'utf8')
        .catch(() => this.sources.sourceContent(file))
        .then((content) => content?.split(/\r?\n/))
        .catch(() => undefined);
      this.sourceTexts.set(file, text);
    }
    return text;
  }
}

/** Says so when a variable's declaration was not found and the suspect sits at a function closing over it instead. */
function locatedNote(holder: NamedHolder): Array<{ label: string; value: string }> {
  if (holder.declaredBy !== 'closure' || !holder.location) return [];
  return [{ label: 'located', value: `declaration not found: at ${where(holder.location)}, a function that closes over it` }];
}

/** 1-based lines declaring `name`: a variable (`const`, destructuring, `function`, `class`) or a class property. */
function declarationLines(lines: string[], name: string, kind: 'variable' | 'property'): number[] {
  const id = escapeName(name);
  const pattern =
    kind === 'variable'
      ? new RegExp(`\\b(?:const|let|var)\\s+${id}\\b|\\b(?:const|let|var)\\s*[{[][^=]*\\b${id}\\b|\\bfunction\\s*\\*?\\s*${id}\\s*\\(|\\bclass\\s+${id}\\b`)
      : new RegExp(`this\\.${id}\\s*=[^=]|^\\s*(?:(?:private|public|protected|readonly|static|declare|override)\\s+)*#?${id}\\s*[?!]?\\s*[:=]`);
  const found: number[] = [];
  lines.forEach((text, i) => pattern.test(text) && found.push(i + 1));
  return found;
}

/** `$` is a word character of JavaScript names but a regular-expression anchor. */
function escapeName(name: string): string {
  return name.replace(/\$/g, '\\$');
}

/** The accesses below a holder, read as code (`.players.get("p1")`); stops at a hop code cannot write. */
function accessText(hops: HolderHop[]): string {
  let text = '';
  for (const hop of [...hops].reverse()) {
    if (!/^(\.|\[|\.get\()/.test(hop.edgeLabel)) return `${text}…`;
    text += hop.edgeLabel;
  }
  return text;
}

/** The hops from the root side down: `system / Context ->presence → PresenceBus .subscriptions → Map`. */
function hopsText(hops: HolderHop[]): string {
  return [...hops].reverse().map((hop) => `${hop.from.className} ${hop.edgeLabel}`).join(' → ');
}

/** One entry per kind and line: listeners of one function on one emitter seen through two events stay apart by key. */
function mergeByKey(suspects: Suspect[]): Suspect[] {
  const byKey = new Map<string, Suspect>();
  for (const suspect of suspects) {
    const seen = byKey.get(suspect.key);
    if (!seen || suspect.score > seen.score) byKey.set(suspect.key, suspect);
  }
  return [...byKey.values()];
}

function positionKey(location: HeapScriptLocation): string {
  return `${location.scriptId}:${location.line}:${location.column}`;
}

function toScriptPosition(location: HeapScriptLocation): ScriptPosition {
  return { scriptId: String(location.scriptId), lineNumber: location.line, columnNumber: location.column };
}

function sourceLocation(location: ResolvedLocation): SourceLocation {
  return { path: location.path, line: location.line, column: location.column };
}

function stackFrame(frame: HeapAllocationFrame, at: ResolvedLocation): StackFrame {
  return { functionName: frame.functionName, ...sourceLocation(at), mapped: at.mapped, ...(!at.mapped && { reason: at.reason }) };
}

/** The allocation stacks of a suspect's new objects (of every kind), one path per stack, most first. */
function allocationPaths(allocated: AllocatedBy[]): SuspectPath[] {
  const byStack = new Map<string, SuspectPath>();
  for (const { count, stack } of allocated) {
    const key = stack.map((frame) => `${frame.functionName}|${frame.path}:${frame.line}:${frame.column}`).join('\n');
    const seen = byStack.get(key);
    if (seen) seen.count += count;
    else byStack.set(key, { count, stack });
  }
  return [...byStack.values()].sort((a, b) => b.count - a.count);
}

function where(location: SourceLocation): string {
  return `${location.path}:${location.line}`;
}
