/** Maps stack frames of a running Node process to original (TypeScript) source locations. */
export { isUserFrame } from './frames';
export { isNodeInternalUrl } from './scriptUrl';
export type { GeneratedFrame, MappedLocation, ResolvedLocation, UnmappedLocation } from './frames';
export { SourceMapResolver } from './sourceMapResolver';
export type { SourceMapResolverOptions } from './sourceMapResolver';
export { parseV8StackTrace } from './stackTrace';
