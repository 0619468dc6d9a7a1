/** Leak Suspects: sites at or above the diagnostic threshold, over every target, ranked by score. */
import type { LeakInspectorState } from '../../protocol/lsp';
import type { Node } from './nodeTree';
import { siteNode, siteNodeId } from './siteNodes';

export const SUSPECT_SCOPE = 'suspect';

export function suspectNodes(state: LeakInspectorState): Node[] {
  return state.suspects.map((suspect, rank) =>
    siteNode(siteNodeId(SUSPECT_SCOPE, suspect.targetId, suspect.threadId, suspect.site), suspect.site, suspect.threadLabel, `${rank + 1}. `),
  );
}
