/**
 * A call frame as V8 reports it over CDP: 0-based line and column. `url` is an absolute path,
 * a `file://` URL, `node:internal/…`, or empty for native frames. `Error.stack` text is
 * 1-based: `parseV8StackTrace` parses and converts it.
 */
export interface GeneratedFrame {
  url: string;
  lineNumber: number;
  columnNumber: number;
  functionName?: string;
}

interface LocationBase {
  /** The original source's path, or the generated script's path (or URL) when unmapped. */
  path: string;
  /** 1-based, as editors and the CLI's JSON show it. */
  line: number;
  /** 1-based. */
  column: number;
  /** The frame that was resolved, unchanged. */
  generated: GeneratedFrame;
}

export interface MappedLocation extends LocationBase {
  mapped: true;
  /** The original identifier at this position, when the map records one. */
  name?: string;
}

export interface UnmappedLocation extends LocationBase {
  mapped: false;
  /** Why the frame stayed at its generated location, readable by a user. */
  reason: string;
}

export type ResolvedLocation = MappedLocation | UnmappedLocation;

const NODE_MODULES = /[\\/]node_modules[\\/]/;

/**
 * Whether a location is the program's own code — a file outside node_modules — rather than
 * a Node internal, a native frame or a dependency. The top user frame is the creation site.
 */
export function isUserFrame(location: { path: string }): boolean {
  return isAbsolutePath(location.path) && !NODE_MODULES.test(location.path);
}

/** Absolute on either OS: the target may not run on the editor's platform. */
export function isAbsolutePath(candidate: string): boolean {
  return candidate.startsWith('/') || /^[a-zA-Z]:[\\/]/.test(candidate) || candidate.startsWith('\\\\');
}
