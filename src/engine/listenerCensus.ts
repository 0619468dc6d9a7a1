/**
 * The engine's half of the listener census (the agent's half is `src/agent/listeners.ts`):
 *
 * - **Emitters from before the attach.** The agent learns emitters as listeners are added; those
 *   that already had listeners are found once per agent installation with `Runtime.queryObjects`
 *   on `EventEmitter.prototype` and `EventTarget.prototype` and handed to the agent, which keeps
 *   them weakly. That is a heap walk after a full GC: it pauses the target (see
 *   `estimateScanPauseMs`), so it is announced with its estimate first, runs once per attach by
 *   default, and again only on request (`scan()`).
 * - **Locations.** Registering stacks and listener functions (`[[FunctionLocation]]`, cached per
 *   group) are source-mapped; groups whose listener function is Node's own (`node:` scripts) or
 *   the agent's are dropped: they are not the user's to fix.
 * - **Emitter names**, for the few groups that look like leaks (many on one emitter, or owners
 *   gone). Without a heap snapshot there is no cheap retainer API, so two cheap sources are
 *   combined, the first that answers wins:
 *   1. the registering line's source text (`presence.on('message', …)` → `presence`,
 *      `this.bus.on(` → `.bus of GameServer`), read from the original source (the source map's
 *      embedded text or the file): no call into the target at all, and it names the emitter
 *      exactly as the user wrote it;
 *   2. for groups without a sampled stack (registered before the attach), the listener's
 *      closure: a variable of its `[[Scopes]]` (a closure or module scope, not the global one)
 *      whose value IS the emitter, compared in the target. A few CDP calls per named group.
 * - **Owners from closures**, for the same few groups when they pile on one emitter and no
 *   sampled registration knew its owner: whether the connection a listener's closure holds has
 *   closed, for a random sample of the group's listeners (`scanClosures`, as for timers). The
 *   owner of a registration (the socket handle whose callback ran) is lost when a framework
 *   registers after an `await` or a `process.nextTick` (socket.io's `connection` event does
 *   both); the closure is what keeps the connection alive, so it is asked directly.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CdpSession } from '../cdp';
import { listenerSuspects, type ResolvedListenerGroup } from '../analysis/listenerSuspects';
import { SiteHistory } from '../analysis/siteHistory';
import { AGENT_SCRIPT_URL } from '../agent/stacks';
import type { AgentListenerGroup, AgentSnapshot } from '../protocol/agentSnapshot';
import type { Suspect } from '../protocol/report';
import { isUserFrame, type GeneratedFrame, type SourceMapResolver } from '../sourcemap';
import { OBJECT_GROUP, type AgentInjector } from './agentInjector';
import { scanClosures } from './closureEvidence';

export interface ListenerScanResult {
  /** Heap in use when the scan started. */
  heapUsedBytes: number;
  estimatedPauseMs: number;
  /** Wall time of the `queryObjects` calls: the target was paused for about this long. */
  pauseMs: number;
  /** Emitters with listeners handed to the agent (new to it). */
  adopted: number;
}

export interface ListenerCensusOptions {
  /** `once` (default): scan for emitters from before the attach at the first census; `off`: never unless `scan()` is called. */
  scan?: 'once' | 'off';
  /** Told before a scan pauses the target, with its estimate (or why the automatic scan was skipped). */
  onNotice?: (message: string) => void;
  /** The automatic scan is skipped (with a notice) when its estimated pause is longer (default 2000 ms); `scan()` always runs. */
  maxAutoPauseMs?: number;
}

/**
 * Measured with test/bench/listenerScan.bench.ts on this project's (busy, 2-core) machine:
 * `queryObjects` paused the sample server under bots ~785 ms at its 10.4 MB heap and ~8.5 s at
 * 84 MB (V8 collects garbage and walks the whole heap for it: dearer than it looks). About
 * 75–100 ms per MB; the line below is an order of magnitude for the announcement, not a promise.
 */
const SCAN_MS_PER_MB = 80;
const DEFAULT_MAX_AUTO_PAUSE_MS = 2000;
const MIN_SCAN_PAUSE_MS = 10;
const MB = 1024 * 1024;

export function estimateScanPauseMs(heapUsedBytes: number): number {
  return Math.max(MIN_SCAN_PAUSE_MS, Math.round((heapUsedBytes / MB) * SCAN_MS_PER_MB));
}

/** Groups named per census at most (each may cost a few CDP calls). */
const MAX_NAMED = 5;
/** A group is worth naming with this many on one emitter, or with an owner gone. */
const NAME_FROM_PER_EMITTER = 10;
const LISTEN_CALL = /((?:this|[A-Za-z_$][\w$]*)(?:\s*\??\.\s*[A-Za-z_$][\w$]*)*)\s*\??\.\s*(?:on|once|addListener|prependListener|prependOnceListener|addEventListener)\s*\(/g;

export class ListenerCensus {
  private scanned = false;
  readonly history = new SiteHistory();
  /** Listener function locations by agent group id (the same code for the life of the group); null: none. */
  private readonly listenerFrames = new Map<string, GeneratedFrame | null>();
  private readonly names = new Map<string, string | null>();
  lastScan: ListenerScanResult | undefined;

  constructor(
    private readonly session: CdpSession,
    private readonly agent: AgentInjector,
    private readonly resolver: SourceMapResolver,
    /** Snapshot object indexes → generated positions of those functions (`[[FunctionLocation]]`). */
    private readonly locateFunctions: (indexes: number[]) => Promise<Map<number, GeneratedFrame>>,
    private readonly options: ListenerCensusOptions = {},
  ) {}

  /** Before a snapshot: the once-per-attach scan, unless the agent (shared with another session) already had one. */
  async beforeSnapshot(): Promise<void> {
    if (this.scanned || this.options.scan === 'off') return;
    this.scanned = true;
    const status = await this.agent.listenerStatus();
    if (!status || status.scannedAt !== undefined) return;
    const { usedSize } = await this.session.send('Runtime.getHeapUsage');
    const limit = this.options.maxAutoPauseMs ?? DEFAULT_MAX_AUTO_PAUSE_MS;
    if (estimateScanPauseMs(usedSize) > limit) {
      this.options.onNotice?.(
        `listener census: not looking for emitters created before the attach in ${this.session.label}: the heap walk would pause it about ${estimateScanPauseMs(usedSize)} ms at ${(usedSize / MB).toFixed(1)} MB (over ${limit} ms); listeners added from now on are counted`,
      );
      return;
    }
    await this.scan();
  }

  /** Finds the emitters that had listeners before the attach and hands them to the agent. Pauses the target. */
  async scan(): Promise<ListenerScanResult> {
    this.scanned = true;
    const { usedSize } = await this.session.send('Runtime.getHeapUsage');
    const estimatedPauseMs = estimateScanPauseMs(usedSize);
    this.options.onNotice?.(
      `listener census: looking for emitters created before the attach in ${this.session.label} (a heap walk: pauses it about ${estimatedPauseMs} ms at ${(usedSize / MB).toFixed(1)} MB; once per attach)`,
    );
    let pauseMs = 0;
    let adopted = 0;
    try {
      for (const prototype of ["process.getBuiltinModule('events').prototype", 'globalThis.EventTarget?.prototype']) {
        const { result } = await this.session.send('Runtime.evaluate', { expression: prototype, objectGroup: OBJECT_GROUP });
        if (!result.objectId) continue;
        const started = performance.now();
        const { objects } = await this.session.send('Runtime.queryObjects', { prototypeObjectId: result.objectId, objectGroup: OBJECT_GROUP });
        pauseMs += performance.now() - started;
        if (objects.objectId) adopted += await this.agent.adoptEmitters(objects.objectId);
      }
    } finally {
      await this.session.send('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP }).catch(() => undefined);
    }
    this.lastScan = { heapUsedBytes: usedSize, estimatedPauseMs, pauseMs: Math.round(pauseMs), adopted };
    return this.lastScan;
  }

  /** The census of an agent snapshot as scored `listener` suspects (empty for an agent without one). */
  async suspects(raw: AgentSnapshot): Promise<Suspect[]> {
    const groups = raw.listeners ?? [];
    await this.locateListeners(groups);
    const resolved: ResolvedListenerGroup[] = [];
    for (const group of groups) {
      const listenerFrame = this.listenerFrames.get(group.id) ?? undefined;
      if (listenerFrame && isNodeInternal(listenerFrame.url)) continue;
      const resolvedStack = await this.resolver.resolveStack(group.frames.map(toGeneratedFrame));
      const listenerLocation = listenerFrame ? await this.resolver.resolve(listenerFrame) : undefined;
      // A listener with no location of its own (a native function) counts only when the program registered it.
      if (!listenerLocation && !resolvedStack.some(isUserFrame)) continue;
      const entry: ResolvedListenerGroup = { ...group, resolvedStack };
      if (listenerLocation) entry.listenerLocation = listenerLocation;
      resolved.push(entry);
    }
    await this.inspectCandidates(resolved);
    return listenerSuspects(resolved, {
      history: this.history,
      takenAt: raw.takenAt,
      processUptimeMs: raw.processUptimeMs,
      thread: raw.threadId === 0 ? 'main' : `worker-${raw.threadId}`,
    });
  }

  private async locateListeners(groups: readonly AgentListenerGroup[]): Promise<void> {
    const wanted = groups.filter((group) => group.listenerIndex !== undefined && !this.listenerFrames.has(group.id));
    if (wanted.length === 0) return;
    const frames = await this.locateFunctions(wanted.map((group) => group.listenerIndex!));
    for (const group of wanted) this.listenerFrames.set(group.id, frames.get(group.listenerIndex!) ?? null);
  }

  /** The few groups that look like leaks get their emitter named and their listeners' closures checked for closed connections. */
  private async inspectCandidates(groups: ResolvedListenerGroup[]): Promise<void> {
    const candidates = groups
      .filter((group) => group.maxPerEmitter >= NAME_FROM_PER_EMITTER || group.ownerGoneCount > 0)
      .sort((a, b) => b.maxPerEmitter - a.maxPerEmitter)
      .slice(0, MAX_NAMED);
    try {
      for (const group of candidates) if (group.emitter !== 'process') await this.nameEmitter(group);
    } finally {
      await this.agent.releaseSnapshotObjects();
    }
    // Piles on one emitter whose registrations told no owner: ask the listeners' closures (as for timers).
    const piles = candidates.filter((group) => group.maxPerEmitter >= NAME_FROM_PER_EMITTER && group.listenerSampleIndexes?.length);
    if (piles.length === 0) return;
    const { bySite } = await scanClosures(
      this.session,
      this.agent.callbacksExpression,
      piles.map((group) => ({ id: group.id, count: group.maxPerEmitter, ownerKnownCount: group.ownerKnownCount, callbackSamples: group.listenerSampleIndexes })),
    );
    for (const group of piles) {
      const closures = bySite.get(group.id);
      if (closures && closures.closed + closures.open > 0) group.closures = closures;
    }
  }

  private async nameEmitter(group: ResolvedListenerGroup): Promise<void> {
    let name = this.names.get(group.id);
    if (name === undefined) {
      name = (await this.nameFromSource(group)) ?? (await this.nameFromScopes(group).catch(() => undefined)) ?? null;
      // A name from a closure needs the objects of this snapshot: try again next time if it failed.
      if (name !== null || group.resolvedStack.length > 0) this.names.set(group.id, name);
    }
    if (name) group.emitterName = name;
  }

  /** Option 1: the receiver of the registering call, from the original source text. */
  private async nameFromSource(group: ResolvedListenerGroup): Promise<string | undefined> {
    const frame = group.resolvedStack.find(isUserFrame);
    if (!frame) return undefined;
    const text = (await this.resolver.getSourceContent(frame.path)) ?? (await fs.readFile(frame.path, 'utf8').catch(() => undefined));
    return text === undefined ? undefined : receiverName(text, frame.line, frame.column, path.basename(frame.path));
  }

  /** Option 2: a variable of the listener's closure whose value is the emitter itself. */
  private async nameFromScopes(group: ResolvedListenerGroup): Promise<string | undefined> {
    if (group.listenerIndex === undefined || group.emitterIndex === undefined) return undefined;
    const listener = await this.agent.snapshotObject(group.listenerIndex);
    const emitter = await this.agent.snapshotObject(group.emitterIndex);
    if (!listener || !emitter) return undefined;
    const { internalProperties = [] } = await this.session.send('Runtime.getProperties', { objectId: listener, ownProperties: true });
    const scopes = internalProperties.find((property) => property.name === '[[Scopes]]')?.value?.objectId;
    if (!scopes) return undefined;
    const scopeList = await this.session.send('Runtime.getProperties', { objectId: scopes, ownProperties: true });
    for (const scope of scopeList.result) {
      if (!scope.value?.objectId || /^Global/.test(scope.value.description ?? '')) continue;
      const variables = (await this.session.send('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true })).result.filter(
        (variable) => variable.value?.type === 'object' && variable.value.objectId,
      );
      if (variables.length === 0) continue;
      const { result } = await this.session.send('Runtime.callFunctionOn', {
        objectId: emitter,
        functionDeclaration: 'function (...candidates) { return candidates.indexOf(this); }',
        arguments: variables.slice(0, 100).map((variable) => ({ objectId: variable.value!.objectId })),
        returnByValue: true,
      });
      const index = result.value as number;
      if (index >= 0) return variables[index].name;
    }
    return undefined;
  }
}

/**
 * The receiver of the `.on(`/`.addEventListener(`… call on a line: `presence`, `room.bus`, or
 * for `this.bus` the property and the enclosing class (`.bus of GameServer`). The call nearest
 * before `column` (V8 points at the method name) wins when a line has several. A receiver
 * declared at the top of the file is given with that line: `presence (presence.ts:12)`.
 */
export function receiverName(text: string, line: number, column: number, fileName?: string): string | undefined {
  const lines = text.split('\n');
  const lineText = lines[line - 1];
  if (lineText === undefined) return undefined;
  let receiver: string | undefined;
  for (const match of lineText.matchAll(LISTEN_CALL)) {
    if (receiver === undefined || (match.index ?? 0) < column) receiver = match[1].replace(/\s+/g, '').replace(/\?\./g, '.');
  }
  if (!receiver) return undefined;
  if (receiver === 'this' || receiver.startsWith('this.')) {
    const enclosing = enclosingClass(lines, line);
    if (receiver === 'this') return enclosing;
    return enclosing ? `${receiver.slice(4)} of ${enclosing}` : receiver;
  }
  const declared = declarationLine(lines, receiver.split('.')[0]);
  return declared && fileName ? `${receiver} (${fileName}:${declared})` : receiver;
}

function enclosingClass(lines: readonly string[], line: number): string | undefined {
  for (let index = line - 1; index >= 0; index--) {
    const match = /\bclass\s+([A-Za-z_$][\w$]*)/.exec(lines[index]);
    if (match) return match[1];
  }
  return undefined;
}

/** 1-based line of a top-level-looking `const/let/var NAME` declaration, if the file has one. */
function declarationLine(lines: readonly string[], name: string): number | undefined {
  const declaration = new RegExp(`^\\s*(?:export\\s+)?(?:const|let|var)\\s+${name.replace(/\$/g, '\\$')}\\b`);
  const index = lines.findIndex((text) => declaration.test(text));
  return index < 0 ? undefined : index + 1;
}

function isNodeInternal(url: string): boolean {
  return url.startsWith('node:') || url === AGENT_SCRIPT_URL || url.endsWith(`/${AGENT_SCRIPT_URL}`);
}

function toGeneratedFrame(frame: { url: string; line: number; column: number; functionName: string }): GeneratedFrame {
  return { url: frame.url, lineNumber: frame.line - 1, columnNumber: frame.column - 1, functionName: frame.functionName };
}

