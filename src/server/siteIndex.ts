/**
 * The suspects (every kind) of the latest state, by source file and line: what diagnostics,
 * hovers and code lenses are made of. Rebuilt on every state change.
 */
import type { LeakInspectorState, Suspect } from '../protocol/lsp';
import { isSourcePath } from './sourceUris';

export interface LocatedSuspect extends Suspect {
  /** The suspect's source path (absolute): its creation, registration or declaration line. */
  path: string;
  /** 0-based, as LSP positions are. */
  line: number;
  character: number;
}

export class SiteIndex {
  private readonly byPath = new Map<string, LocatedSuspect[]>();

  constructor(readonly state: LeakInspectorState) {
    for (const entry of state.suspects) {
      const location = entry.suspect.location;
      if (!location || !isSourcePath(location.path)) continue;
      const located: LocatedSuspect = { ...entry, path: location.path, line: location.line - 1, character: Math.max(0, location.column - 1) };
      const list = this.byPath.get(location.path);
      if (list) list.push(located);
      else this.byPath.set(location.path, [located]);
    }
  }

  paths(): string[] {
    return [...this.byPath.keys()];
  }

  /** Suspects located in `sourcePath`, highest score first. */
  inFile(sourcePath: string): LocatedSuspect[] {
    return this.byPath.get(sourcePath) ?? [];
  }

  atLine(sourcePath: string, line: number): LocatedSuspect[] {
    return this.inFile(sourcePath).filter((entry) => entry.line === line);
  }

  /** The URI diagnostics for `sourcePath` are published under. */
  uriOf(sourcePath: string): string | undefined {
    return this.state.sourceUris[sourcePath];
  }
}
