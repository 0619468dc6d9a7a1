import type { BasicSourceMapConsumer } from 'source-map';
import { errorMessage } from '../common/errors';

export interface OriginalPosition {
  path: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  name?: string;
}

/** One parsed source map, its sources already resolved to paths. */
export class LoadedSourceMap {
  constructor(
    /** Names the map in reasons: "source map /x/app.js.map", "inline source map of /x/app.js". */
    readonly description: string,
    /** Its `sources` are the indices of `sourcePaths`: see `loadSourceMap`. */
    private readonly consumer: BasicSourceMapConsumer,
    private readonly sourcePaths: readonly (string | undefined)[],
    private readonly sourceContents: ReadonlyMap<string, string>,
  ) {}

  /** The original position of a 0-based generated one, or why there is none. */
  originalPositionFor(lineNumber: number, columnNumber: number): OriginalPosition | { reason: string } {
    let position;
    try {
      position = this.consumer.originalPositionFor({ line: lineNumber + 1, column: columnNumber });
    } catch (error) {
      // The wasm parser reads `mappings` lazily, so a corrupt string only fails here.
      return { reason: `${this.description} has corrupt mappings: ${errorMessage(error)}` };
    }
    const path = position.source === null ? undefined : this.sourcePaths[Number(position.source)];
    if (path === undefined || position.line === null || position.column === null) {
      return { reason: `${this.description} has no mapping for line ${lineNumber + 1} column ${columnNumber + 1}` };
    }
    const original: OriginalPosition = { path, line: position.line, column: position.column + 1 };
    if (position.name !== null) original.name = position.name;
    return original;
  }

  /** The embedded text (`sourcesContent`) of a resolved source path. */
  sourceContent(path: string): string | undefined {
    return this.sourceContents.get(path);
  }

  /** Frees the consumer's wasm memory, which the garbage collector cannot reclaim. */
  destroy(): void {
    this.consumer.destroy();
  }
}
