import { readFile } from 'node:fs/promises';
import type { GeneratedFrame, ResolvedLocation, UnmappedLocation } from './frames';
import { loadSourceMap, type SourceMapLoadOptions } from './loadSourceMap';
import { errorMessage } from '../common/errors';
import { LoadedSourceMap } from './loadedSourceMap';
import { createPathMapper, type PathMapper } from './pathMapping';
import { isNodeInternalUrl, scriptUrlToPath } from './scriptUrl';

export interface SourceMapResolverOptions {
  /**
   * Fetches a generated script's text by the URL V8 reports, e.g. over CDP with
   * `Debugger.getScriptSource`. Default: read local files from disk (other URLs fail).
   * Map files a script references are always read from disk.
   */
  readScript?: (url: string) => Promise<string>;
  /**
   * Prefix → replacement for paths as the target reports them, e.g. `{ '/app': '/home/me/game' }`
   * for a container. Applied to everything read from disk and to every path returned.
   */
  pathMapping?: Readonly<Record<string, string>>;
  /** Larger maps are skipped (with a reason) rather than parsed. Default 64 MiB. */
  maxSourceMapBytes?: number;
}

const DEFAULT_MAX_SOURCE_MAP_BYTES = 64 * 1024 * 1024;

/**
 * Maps frames of a running Node process to original source locations. Loads each script's map
 * once (concurrent callers share the load) and keeps it until `invalidate` or `dispose`.
 * Never rejects: whatever fails, the frame comes back at its generated location with a reason.
 */
export class SourceMapResolver {
  private readonly maps = new Map<string, Promise<LoadedSourceMap | { reason: string }>>();
  private readonly mapPath: PathMapper;
  private readonly loadOptions: SourceMapLoadOptions;

  constructor(options: SourceMapResolverOptions = {}) {
    this.mapPath = createPathMapper(options.pathMapping ?? {});
    this.loadOptions = {
      readScript: options.readScript ?? ((url) => this.readScriptFromDisk(url)),
      mapPath: this.mapPath,
      maxSourceMapBytes: options.maxSourceMapBytes ?? DEFAULT_MAX_SOURCE_MAP_BYTES,
    };
  }

  async resolve(frame: GeneratedFrame): Promise<ResolvedLocation> {
    if (isNodeInternalUrl(frame.url)) return this.unmapped(frame, 'Node internal frame');
    if (frame.url === '') return this.unmapped(frame, 'native frame without a script');
    if (!isPosition(frame.lineNumber) || !isPosition(frame.columnNumber)) {
      return this.unmapped(frame, `invalid position: line ${frame.lineNumber} column ${frame.columnNumber} (0-based)`);
    }
    // Awaiting the cached promise itself (not a wrapper) runs this continuation before any
    // destroy() that a later invalidate() chains onto the same promise.
    const map = await this.mapFor(frame.url);
    if ('reason' in map) return this.unmapped(frame, map.reason);
    const original = map.originalPositionFor(frame.lineNumber, frame.columnNumber);
    if ('reason' in original) return this.unmapped(frame, original.reason);
    return { ...original, mapped: true, generated: frame };
  }

  /** Resolves a whole stack, top frame first; each script's map is loaded once. */
  resolveStack(frames: readonly GeneratedFrame[]): Promise<ResolvedLocation[]> {
    return Promise.all(frames.map((frame) => this.resolve(frame)));
  }

  /** The text a loaded map embeds for a source path, for showing sources that are not on disk. */
  async getSourceContent(path: string): Promise<string | undefined> {
    for (const pending of this.maps.values()) {
      const map = await pending;
      const content = map instanceof LoadedSourceMap ? map.sourceContent(path) : undefined;
      if (content !== undefined) return content;
    }
    return undefined;
  }

  /** Forgets a script's map (the script was reloaded or rebuilt); the next lookup reloads it. */
  invalidate(url: string): void {
    const key = cacheKey(url);
    const pending = this.maps.get(key);
    if (pending === undefined) return;
    this.maps.delete(key);
    void pending.then((map) => {
      if (map instanceof LoadedSourceMap) map.destroy();
    });
  }

  /** Frees every loaded map. The resolver stays usable and reloads on demand. */
  dispose(): void {
    for (const key of [...this.maps.keys()]) this.invalidate(key);
  }

  private mapFor(url: string): Promise<LoadedSourceMap | { reason: string }> {
    const key = cacheKey(url);
    let pending = this.maps.get(key);
    if (pending === undefined) {
      // Failures are cached too: a script without a usable map stays so until invalidated.
      pending = loadSourceMap(url, this.loadOptions).catch((error: unknown) => ({ reason: errorMessage(error) }));
      this.maps.set(key, pending);
    }
    return pending;
  }

  private async readScriptFromDisk(url: string): Promise<string> {
    const path = scriptUrlToPath(url);
    if (path === undefined) throw new Error('not a local file');
    return readFile(this.mapPath(path), 'utf8');
  }

  private unmapped(frame: GeneratedFrame, reason: string): UnmappedLocation {
    const path = scriptUrlToPath(frame.url);
    return {
      path: path === undefined ? frame.url : this.mapPath(path),
      line: frame.lineNumber + 1,
      column: frame.columnNumber + 1,
      mapped: false,
      reason,
      generated: frame,
    };
  }
}

function isPosition(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

/** `/x/app.js` and `file:///x/app.js` are one script. */
function cacheKey(url: string): string {
  return scriptUrlToPath(url) ?? url;
}
