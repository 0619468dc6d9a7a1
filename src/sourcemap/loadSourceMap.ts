import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { SourceMapConsumer } from 'source-map';
import { isAbsolutePath } from './frames';
import { errorMessage } from '../common/errors';
import { LoadedSourceMap } from './loadedSourceMap';
import type { PathMapper } from './pathMapping';
import { scriptUrlToPath } from './scriptUrl';
import { decodeDataUrl, findSourceMappingUrl, isDataUrl } from './sourceMappingUrl';
import { resolveSourcePath } from './sourcePaths';

export interface SourceMapLoadOptions {
  readScript: (url: string) => Promise<string>;
  mapPath: PathMapper;
  maxSourceMapBytes: number;
}

interface MapText {
  text: string;
  description: string;
  /** What relative sources resolve against, in the target's file system. */
  baseDirectory: string | undefined;
}

interface RawMap {
  sources: unknown[];
  sourceRoot?: unknown;
  sourcesContent?: unknown;
  names?: unknown;
  mappings: string;
}

/**
 * Finds, reads and parses the source map of a script. Every failure is an Error whose
 * message says, for the user, why the script's frames stay unmapped.
 */
export async function loadSourceMap(scriptUrl: string, options: SourceMapLoadOptions): Promise<LoadedSourceMap> {
  let script;
  try {
    script = await options.readScript(scriptUrl);
  } catch (error) {
    throw new Error(`cannot read script ${scriptUrl}: ${errorMessage(error)}`);
  }
  const mapUrl = findSourceMappingUrl(script);
  if (mapUrl === undefined) throw new Error(`no sourceMappingURL in ${scriptUrl}`);
  const scriptPath = scriptUrlToPath(scriptUrl);
  const { text, description, baseDirectory } = isDataUrl(mapUrl)
    ? readInlineMap(mapUrl, scriptUrl, scriptPath, options)
    : await readMapFile(mapUrl, scriptUrl, scriptPath, options);

  const raw = parseSourceMap(text, description);
  const sourceRoot = typeof raw.sourceRoot === 'string' ? raw.sourceRoot : undefined;
  const sourcePaths = raw.sources.map((source) =>
    typeof source === 'string' ? options.mapPath(resolveSourcePath(source, sourceRoot, baseDirectory)) : undefined,
  );
  const sourceContents = new Map<string, string>();
  const contents = Array.isArray(raw.sourcesContent) ? raw.sourcesContent : [];
  sourcePaths.forEach((sourcePath, index) => {
    if (sourcePath !== undefined && typeof contents[index] === 'string') sourceContents.set(sourcePath, contents[index]);
  });

  // The consumer only sees source indices: its own URL resolution differs from ours (and
  // throws on odd roots), and we already hold the contents.
  const consumer = await new SourceMapConsumer({
    version: 3,
    file: '',
    names: Array.isArray(raw.names) ? raw.names.map(String) : [],
    mappings: raw.mappings,
    sources: sourcePaths.map((_, index) => String(index)),
  }).catch((error: unknown) => {
    throw new Error(`cannot parse ${description}: ${errorMessage(error)}`);
  });
  return new LoadedSourceMap(description, consumer, sourcePaths, sourceContents);
}

function readInlineMap(mapUrl: string, scriptUrl: string, scriptPath: string | undefined, options: SourceMapLoadOptions): MapText {
  const description = `inline source map of ${scriptUrl}`;
  let text;
  try {
    text = decodeDataUrl(mapUrl);
  } catch (error) {
    throw new Error(`cannot decode ${description}: ${errorMessage(error)}`);
  }
  checkSize(Buffer.byteLength(text), description, options);
  return { text, description, baseDirectory: scriptPath === undefined ? undefined : path.dirname(scriptPath) };
}

async function readMapFile(
  mapUrl: string,
  scriptUrl: string,
  scriptPath: string | undefined,
  options: SourceMapLoadOptions,
): Promise<MapText> {
  const mapPath = resolveMapPath(mapUrl, scriptUrl, scriptPath);
  if (mapPath === undefined) throw new Error(`source map ${mapUrl} of ${scriptUrl} is not a local file`);
  const localPath = options.mapPath(mapPath);
  const description = `source map ${localPath}`;
  const cannotRead = (error: unknown): never => {
    throw new Error(`cannot read ${description}: ${errorMessage(error)}`);
  };
  checkSize((await stat(localPath).catch(cannotRead)).size, description, options);
  const text = await readFile(localPath, 'utf8').catch(cannotRead);
  return { text, description, baseDirectory: path.dirname(mapPath) };
}

/** The map's path in the target's file system: the URL is relative to the script's. */
function resolveMapPath(mapUrl: string, scriptUrl: string, scriptPath: string | undefined): string | undefined {
  if (isAbsolutePath(mapUrl)) return mapUrl;
  try {
    const url = new URL(mapUrl, scriptPath === undefined ? scriptUrl : pathToFileURL(scriptPath));
    return url.protocol === 'file:' ? fileURLToPath(url) : undefined;
  } catch {
    return undefined;
  }
}

function checkSize(bytes: number, description: string, options: SourceMapLoadOptions): void {
  if (bytes > options.maxSourceMapBytes) {
    throw new Error(`${description} is ${bytes} bytes, above the limit of ${options.maxSourceMapBytes}; skipped`);
  }
}

function parseSourceMap(text: string, description: string): RawMap {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${description} is not valid JSON: ${errorMessage(error)}`);
  }
  if (typeof json !== 'object' || json === null) throw new Error(`${description} is not a JSON object`);
  const map = json as Record<string, unknown>;
  if ('sections' in map) throw new Error(`${description} is an indexed source map (sections), which is not supported`);
  // Loose: Sass writes the version as a string.
  if (Number(map.version) !== 3) throw new Error(`${description} has unsupported version ${String(map.version)}`);
  if (!Array.isArray(map.sources)) throw new Error(`${description} has no "sources" array`);
  if (typeof map.mappings !== 'string') throw new Error(`${description} has no "mappings" string`);
  return map as unknown as RawMap;
}
