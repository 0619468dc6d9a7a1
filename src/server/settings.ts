/** The server's settings: defaults, and tolerant parsing of what a client sends. */
import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_AGENT_CONFIG } from '../engine/agentInjector';
import type { ServerSettings } from '../protocol/lsp';
import { isRecord } from '../common/guards';

export const DEFAULT_SETTINGS: ServerSettings = {
  refreshIntervalSeconds: 5,
  autoRefresh: true,
  stackBudgetPerSecond: DEFAULT_AGENT_CONFIG.stackBudgetPerSecond,
  promiseTracking: 'sampled',
  diagnosticMinScore: 50,
  allowedRemoteHosts: [],
  sourcePathMapping: {},
  contextKeys: DEFAULT_AGENT_CONFIG.contextKeys,
  ownerKeys: DEFAULT_AGENT_CONFIG.ownerKeys,
};

/** Fields of the right type override the defaults; anything else is ignored (a client may send junk). */
export function parseSettings(input: unknown): ServerSettings {
  const raw = isRecord(input) ? input : {};
  const settings: ServerSettings = { ...DEFAULT_SETTINGS };
  const refresh = raw.refreshIntervalSeconds;
  if (typeof refresh === 'number' && refresh >= 1) settings.refreshIntervalSeconds = refresh;
  if (typeof raw.autoRefresh === 'boolean') settings.autoRefresh = raw.autoRefresh;
  const budget = raw.stackBudgetPerSecond;
  if (typeof budget === 'number' && budget >= 0) settings.stackBudgetPerSecond = budget;
  if (raw.promiseTracking === 'sampled' || raw.promiseTracking === 'always' || raw.promiseTracking === 'off') settings.promiseTracking = raw.promiseTracking;
  const minScore = raw.diagnosticMinScore;
  if (typeof minScore === 'number' && minScore >= 0 && minScore <= 100) settings.diagnosticMinScore = minScore;
  if (isStringArray(raw.allowedRemoteHosts)) settings.allowedRemoteHosts = raw.allowedRemoteHosts;
  if (isRecord(raw.sourcePathMapping) && Object.values(raw.sourcePathMapping).every((value) => typeof value === 'string')) {
    settings.sourcePathMapping = raw.sourcePathMapping as Record<string, string>;
  }
  if (isStringArray(raw.contextKeys)) settings.contextKeys = raw.contextKeys;
  if (isStringArray(raw.ownerKeys)) settings.ownerKeys = raw.ownerKeys;
  if (typeof raw.heapDirectory === 'string' && raw.heapDirectory !== '') settings.heapDirectory = raw.heapDirectory;
  return settings;
}

export function heapDirectoryOf(settings: ServerSettings): string {
  return settings.heapDirectory ?? path.join(os.tmpdir(), `leak-inspector-heap-${process.getuid?.() ?? 'user'}`);
}


function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
