/**
 * Puts the agent into a target over CDP, asks it for snapshots and takes it out again. The
 * agent reaches Node's own timer lists through the closure of `setTimeout`, which CDP exposes
 * as `[[Scopes]]`: that is how timers created before the attach are found without a heap walk.
 */
import * as fs from 'node:fs';
import { CdpError, type CdpSession } from '../cdp';
import { builtFile } from '../common/packageRoot';
import type { InstallReply } from '../agent/agent';
import { AGENT_SCRIPT_URL } from '../agent/stacks';
import type { AgentConfig, AgentListenerCensus, AgentSnapshot, TimelineRead } from '../protocol/agentSnapshot';

const AGENT = "globalThis[Symbol.for('leak-inspector.agent')]";
/** CDP object group for the remote objects one step needs (timer internals, callbacks), released after it. */
export const OBJECT_GROUP = 'leak-inspector';
/**
 * CDP object group that holds our lease on the agent for as long as we are attached: the agent
 * holds leases only weakly, so one whose session ended without detaching is eventually dropped.
 */
export const LEASE_GROUP = 'leak-inspector-lease';

export const DEFAULT_AGENT_CONFIG: AgentConfig = {
  contextKeys: ['playerId', 'roomId', 'protocol'],
  ownerKeys: ['playerId', 'roomId'],
  // Each sampled creation costs ~10 µs to capture and, the first time its stack is seen, ~20 µs
  // to format: 50 a second locate every site that piles up resources (unsampled creations
  // join the site of their callback's code), at about 1 % of a busy server's CPU.
  stackBudgetPerSecond: 50,
  // A listener group needs one sampled stack to be located at its registering line rather than
  // at its function. The coin gives each group its share of these; a listener list that grows
  // on one emitter (a leak) also takes stacks at 8, 16, 32 … of its own (`crowds`).
  listenerBudgetPerSecond: 50,
  promiseBudgetPerSecond: 100,
  promiseDutyCycle: 0.1,
  maxFrames: 12,
};

/**
 * `--promises`: promise hooks on all the time, for finding never-settling promises quickly
 * (they slow every promise and await, so the default samples them in short windows).
 */
export const TRACK_ALL_PROMISES: Partial<AgentConfig> = { promiseDutyCycle: 1, promiseBudgetPerSecond: 300 };

let agentSource: string | undefined;

/** `timerListsFound` false: another Node version; timers created before the attach are then invisible. */
export type { InstallReply as InstallResult } from '../agent/agent';

/** A location inside a script, 0-based as CDP gives it. */
export interface ScriptLocation {
  scriptId: string;
  lineNumber: number;
  columnNumber: number;
}

export class AgentInjector {
  constructor(private readonly session: CdpSession) {}

  /** Our lease on the agent (see `AgentHandle` in the agent): set by `install`. */
  private lease: number | undefined;

  async install(config: AgentConfig = DEFAULT_AGENT_CONFIG): Promise<InstallReply> {
    agentSource ??= `${fs.readFileSync(builtFile('agent.js'), 'utf8')}\n//# sourceURL=${AGENT_SCRIPT_URL}\n`;
    await this.evaluate(agentSource, false);
    try {
      const internals = await this.findTimerInternals();
      const holder = await this.session.send('Runtime.evaluate', { expression: AGENT, objectGroup: OBJECT_GROUP });
      if (holder.exceptionDetails || !holder.result.objectId) throw new Error(`the agent did not load in ${this.session.label}: ${describeException(holder.exceptionDetails)}`);
      // The lease comes back as a remote object in LEASE_GROUP, which keeps it alive until detach.
      const { result, exceptionDetails } = await this.session.send('Runtime.callFunctionOn', {
        objectId: holder.result.objectId,
        functionDeclaration: 'function (config, timerListMap, immediateQueue) { return this.install(config, timerListMap, immediateQueue); }',
        arguments: [{ value: config }, internals.timerListMap ? { objectId: internals.timerListMap } : { value: undefined }, internals.immediateQueue ? { objectId: internals.immediateQueue } : { value: undefined }],
        objectGroup: LEASE_GROUP,
      });
      if (exceptionDetails || !result.objectId) throw new Error(`installing the agent in ${this.session.label} failed: ${describeException(exceptionDetails)}`);
      const reply = await this.session.send('Runtime.callFunctionOn', { objectId: result.objectId, functionDeclaration: 'function () { return this; }', returnByValue: true });
      const installed = reply.result.value as InstallReply;
      this.lease = installed.lease;
      return installed;
    } finally {
      await this.releaseObjects();
    }
  }

  async snapshot(): Promise<AgentSnapshot> {
    // The agent works in slices and answers with a promise (see `runInSlices`): it needs the
    // target's event loop to turn, which a debugger's pause or a blocked loop stops.
    try {
      return (await this.evaluate(`${AGENT}.snapshot(${this.lease})`, true, true)) as AgentSnapshot;
    } catch (error) {
      if (error instanceof CdpError && error.code === 'TIMEOUT') {
        throw new Error(`${error.message}: the snapshot runs between the target's event-loop turns, and there were none (is it paused at a breakpoint, or busy?)`);
      }
      throw error;
    }
  }

  /** Timeline entries since our previous call; the first call starts the agent's timeline. */
  async timeline(): Promise<TimelineRead> {
    return (await this.evaluate(`${AGENT}.timeline(${this.lease})`, true)) as TimelineRead;
  }

  /** An expression for the `callbacks` array of our last snapshot, in the target (see `AgentSite.callbackSamples`). */
  get callbacksExpression(): string {
    return `${AGENT}.callbacksOf(${this.lease})`;
  }

  /** Where the callbacks of our last snapshot's stackless sites are defined. */
  async callbackLocations(indexes: readonly number[]): Promise<Map<number, ScriptLocation>> {
    const locations = new Map<number, ScriptLocation>();
    try {
      for (const index of indexes) {
        const { result } = await this.session.send('Runtime.evaluate', { expression: `${AGENT}.callbacksOf(${this.lease})[${index}]`, objectGroup: OBJECT_GROUP });
        const location = result.objectId ? await this.functionLocation(result.objectId) : undefined;
        if (location) locations.set(index, location);
      }
    } finally {
      // Otherwise every snapshot would pin more objects in the target until detach.
      await this.releaseObjects();
    }
    return locations;
  }

  /**
   * Entry `index` of our last snapshot's objects (callbacks, listeners, emitters) as a remote
   * object in OBJECT_GROUP; `releaseSnapshotObjects` lets go of it.
   */
  async snapshotObject(index: number): Promise<string | undefined> {
    const { result } = await this.session.send('Runtime.evaluate', { expression: `${AGENT}.callbacksOf(${this.lease})[${index}]`, objectGroup: OBJECT_GROUP });
    return result.objectId;
  }

  releaseSnapshotObjects(): Promise<void> {
    return this.releaseObjects();
  }

  /** Hands the agent emitters found by a heap scan (a remote array); returns how many it adopted. */
  async adoptEmitters(arrayObjectId: string): Promise<number> {
    const holder = await this.session.send('Runtime.evaluate', { expression: AGENT, objectGroup: OBJECT_GROUP });
    if (!holder.result.objectId) return 0;
    const { result, exceptionDetails } = await this.session.send('Runtime.callFunctionOn', {
      objectId: holder.result.objectId,
      functionDeclaration: 'function (list) { return this.agent && this.agent.adoptEmitters ? this.agent.adoptEmitters(list) : 0; }',
      arguments: [{ objectId: arrayObjectId }],
      returnByValue: true,
    });
    if (exceptionDetails) throw new Error(`agent call failed in ${this.session.label}: ${describeException(exceptionDetails)}`);
    return result.value as number;
  }

  /** The agent's listener census state (when it was handed the scan); undefined for an older agent. */
  async listenerStatus(): Promise<AgentListenerCensus | undefined> {
    return (await this.evaluate(`${AGENT}?.agent?.listenerStatus?.()`, true)) as AgentListenerCensus | undefined;
  }

  /**
   * `[[FunctionLocation]]` of a function; a bound function (`setInterval(this.check.bind(this))`)
   * has none of its own, so its `[[TargetFunction]]` is followed (bounded: binds of binds).
   */
  private async functionLocation(objectId: string, depth = 0): Promise<ScriptLocation | undefined> {
    const { internalProperties = [] } = await this.session.send('Runtime.getProperties', { objectId, ownProperties: true });
    const location = internalProperties.find((property) => property.name === '[[FunctionLocation]]')?.value?.value as ScriptLocation | undefined;
    if (location) return location;
    const target = internalProperties.find((property) => property.name === '[[TargetFunction]]')?.value?.objectId;
    return target && depth < 4 ? this.functionLocation(target, depth + 1) : undefined;
  }

  /**
   * Releases our lease. The last lease removes the agent: originals restored, hooks off, state
   * dropped. True if that happened; false if there was no agent or other sessions still use it.
   */
  async uninstall(): Promise<boolean> {
    try {
      if (this.lease === undefined) return false;
      return (await this.evaluate(`${AGENT} ? ${AGENT}.release(${this.lease}) : false`, true)) as boolean;
    } finally {
      this.lease = undefined;
      await this.releaseObjects();
      await this.session.send('Runtime.releaseObjectGroup', { objectGroup: LEASE_GROUP }).catch(() => undefined);
    }
  }

  private async releaseObjects(): Promise<void> {
    await this.session.send('Runtime.releaseObjectGroup', { objectGroup: OBJECT_GROUP }).catch(() => undefined);
  }

  private async evaluate(expression: string, returnByValue: boolean, awaitPromise = false): Promise<unknown> {
    const { result, exceptionDetails } = await this.session.send('Runtime.evaluate', { expression, returnByValue, awaitPromise, silent: true });
    if (exceptionDetails) throw new Error(`agent call failed in ${this.session.label}: ${describeException(exceptionDetails)}`);
    return result.value;
  }

  /** `timerListMap` and `immediateQueue` from the closure scopes of `setTimeout`. */
  private async findTimerInternals(): Promise<{ timerListMap?: string; immediateQueue?: string }> {
    const found: { timerListMap?: string; immediateQueue?: string } = {};
    // The original setTimeout, even when our agent (or another tool) has wrapped the global.
    const fn = await this.session.send('Runtime.evaluate', { expression: "process.getBuiltinModule('timers').setTimeout", objectGroup: OBJECT_GROUP });
    if (!fn.result.objectId) return found;
    const functionProperties = await this.session.send('Runtime.getProperties', { objectId: fn.result.objectId, ownProperties: true });
    const scopes = functionProperties.internalProperties?.find((property) => property.name === '[[Scopes]]')?.value?.objectId;
    if (!scopes) return found;
    const scopeList = await this.session.send('Runtime.getProperties', { objectId: scopes, ownProperties: true });
    for (const scope of scopeList.result) {
      if (!scope.value?.objectId || found.timerListMap) continue;
      const variables = await this.session.send('Runtime.getProperties', { objectId: scope.value.objectId, ownProperties: true });
      for (const variable of variables.result) {
        if (variable.name === 'timerListMap' && variable.value?.objectId) found.timerListMap = variable.value.objectId;
        if (variable.name === 'immediateQueue' && variable.value?.objectId) found.immediateQueue = variable.value.objectId;
      }
    }
    return found;
  }
}

function describeException(details: { text: string; exception?: { description?: string } } | undefined): string {
  return details?.exception?.description?.split('\n')[0] ?? details?.text ?? 'unknown error';
}
