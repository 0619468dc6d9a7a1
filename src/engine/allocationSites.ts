/**
 * "Allocation sampling → the functions whose allocations are still alive, at their original
 * source line": the one place the CLI's `heap` command and the language server turn a sampling
 * heap profile into source-mapped top sites.
 */
import { topAllocationSites, type SamplingHeapProfile } from '../heap';
import type { AllocationSiteInfo } from '../protocol/lsp';
import { SourceMapResolver } from '../sourcemap';

/** The `limit` functions holding the most live sampled bytes, largest first, mapped to source. */
export async function sourceMappedAllocationSites(profile: SamplingHeapProfile, limit: number, pathMapping: Record<string, string> = {}): Promise<AllocationSiteInfo[]> {
  const resolver = new SourceMapResolver({ pathMapping });
  try {
    return await Promise.all(
      topAllocationSites(profile, limit).map(async (site): Promise<AllocationSiteInfo> => {
        const functionName = site.functionName || '(anonymous)';
        // Native and builtin functions have no script: nothing to map.
        if (!site.url) return { functionName, path: '', line: 0, column: 0, bytes: site.bytes, mapped: false };
        const where = await resolver.resolve({ url: site.url, lineNumber: site.line - 1, columnNumber: site.column - 1, functionName: site.functionName });
        return { functionName, path: where.path, line: where.line, column: where.column, bytes: site.bytes, mapped: where.mapped };
      }),
    );
  } finally {
    resolver.dispose();
  }
}
