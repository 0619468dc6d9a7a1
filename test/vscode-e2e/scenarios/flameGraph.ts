/**
 * The flame graph panel (issue 6) in the real workbench: a webview, i.e. an iframe in an
 * iframe. The graph is a canvas, so frames are found the way a user finds them: by pointing at
 * them and reading the hover tooltip (real DOM), row by row.
 */
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** The content frame of the active webview panel. */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

export interface FoundFrame {
  x: number;
  y: number;
  name: string;
  location: string;
}

/**
 * Points along each row of the graph until the tooltip names a frame whose location contains
 * `location` (`player-session.ts:53`). Rows are `data-row-height` px high, root first. On entering
 * a frame the pointer jumps by the frame's width (its share of all, from the tooltip, at full
 * zoom-out), and a row is only searched below the frames of the row above (children lie under
 * their parent): a few moves per frame instead of one every few pixels.
 */
export async function findFrame(page: Page, canvas: Locator, tooltip: Locator, location: string, maxRows = 40): Promise<FoundFrame | undefined> {
  const box = await canvas.boundingBox();
  const rowHeight = Number(await canvas.getAttribute('data-row-height'));
  if (!box || !(rowHeight > 0)) throw new Error(`the flame graph canvas has no size or row height (${rowHeight})`);
  // One handle, read with one round trip per move: the tooltip lives two iframes down.
  const tip = await tooltip.elementHandle({ timeout: 10_000 });
  if (!tip) throw new Error('the flame graph has no tooltip element');
  const step = 4;
  let spans: [number, number][] = [[box.x + 1, box.x + box.width - 1]];
  for (let depth = 0; depth < maxRows && spans.length > 0 && (depth + 0.5) * rowHeight < box.height; depth++) {
    const y = box.y + (depth + 0.5) * rowHeight;
    const frames: [number, number][] = [];
    for (const [from, to] of spans) {
      let current = '';
      for (let x = from; x < to; ) {
        await page.mouse.move(x, y);
        const text = await tip.evaluate((element) => {
          const tooltipElement = element as unknown as { hidden: boolean; innerText: string };
          return tooltipElement.hidden ? '' : tooltipElement.innerText;
        });
        if (text === current) {
          x += step;
          continue;
        }
        current = text;
        if (!text) continue;
        const [name = '', file = ''] = text.split('\n');
        if (file.includes(location)) return { x, y, name, location: file };
        // We entered this frame within `step` px of its left edge: land just before its right edge.
        const width = (Number(/\(([\d.]+)% of all\)/.exec(text)?.[1] ?? 0) / 100) * box.width;
        frames.push([x - step, x + width + step]);
        x += Math.max(step, width - 2 * step);
      }
    }
    spans = merge(frames);
  }
  return undefined;
}

/** Overlapping or touching spans joined, left to right. */
function merge(spans: [number, number][]): [number, number][] {
  const merged: [number, number][] = [];
  for (const [from, to] of [...spans].sort((a, b) => a[0] - b[0])) {
    const last = merged.at(-1);
    if (last && from <= last[1]) last[1] = Math.max(last[1], to);
    else merged.push([from, to]);
  }
  return merged;
}
