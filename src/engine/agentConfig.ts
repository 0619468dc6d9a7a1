/**
 * The one place that turns what a user asked for (CLI flags, editor settings) into the agent's
 * configuration, so the CLI and the language server cannot disagree about it.
 */
import type { AgentConfig } from '../protocol/agentSnapshot';
import { DEFAULT_AGENT_CONFIG, TRACK_ALL_PROMISES } from './agentInjector';

export type PromiseTracking = 'sampled' | 'always' | 'off';

export interface AgentRequest {
  /** `sampled`: promise hooks in short windows (the agent's default); `always`; `off`. */
  promiseTracking?: PromiseTracking;
  stackBudgetPerSecond?: number;
  /** AsyncLocalStorage store fields to report (default: the agent's). */
  contextKeys?: string[];
  /** Context keys that identify an owner (default: the agent's). */
  ownerKeys?: string[];
}

export function buildAgentConfig(request: AgentRequest): Partial<AgentConfig> {
  const config: Partial<AgentConfig> =
    request.promiseTracking === 'off' ? { promiseBudgetPerSecond: 0 } : request.promiseTracking === 'always' ? { ...TRACK_ALL_PROMISES } : {};
  if (request.stackBudgetPerSecond !== undefined) config.stackBudgetPerSecond = request.stackBudgetPerSecond;
  if (request.contextKeys !== undefined || request.ownerKeys !== undefined) {
    const contextKeys = request.contextKeys ?? DEFAULT_AGENT_CONFIG.contextKeys;
    // Owner keys asked for are always read: the agent knows only the fields it reads, and an
    // owner it cannot read can never be "gone". The default owner keys apply only to the
    // context keys chosen (`--context-keys protocol` reports no players).
    const ownerKeys = request.ownerKeys ?? DEFAULT_AGENT_CONFIG.ownerKeys.filter((key) => contextKeys.includes(key));
    config.contextKeys = [...new Set([...contextKeys, ...ownerKeys])];
    config.ownerKeys = ownerKeys;
  }
  return config;
}

/** Parses `a, b,c` as given to `--context-keys`/`--owner-keys`. */
export function keyList(raw: string): string[] {
  return raw.split(',').map((key) => key.trim()).filter(Boolean);
}
