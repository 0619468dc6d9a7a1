/**
 * The hover (and keyboard focus) tooltip: real DOM, so screen readers get it through the
 * canvas's aria-describedby. Built with textContent only: frame names come from the target.
 */
import { formatDelta, formatLocation, formatShare, formatValue } from './format';
import type { Frame, Layout } from './layout';

export class Tooltip {
  readonly element: HTMLElement;

  constructor(private readonly owner: HTMLElement) {
    this.element = document.createElement('div');
    this.element.id = 'flame-tooltip';
    this.element.className = 'flame-tooltip';
    this.element.setAttribute('role', 'tooltip');
    this.element.hidden = true;
    document.body.append(this.element);
  }

  show(node: Frame, data: Layout, viewTotal: number, clientX: number, clientY: number): void {
    const lines: Array<[string, string]> = [];
    const location = formatLocation(node);
    if (location) lines.push(['Location', `${node.path}:${node.line}${node.column > 0 ? `:${node.column}` : ''}`]);
    const noun = data.unit === 'bytes' ? 'live bytes' : 'live resources';
    lines.push([`Total ${noun}`, `${formatValue(node.total, data.unit)} (${formatShare(node.total, data.total[0]!)} of all)`]);
    lines.push([`Self ${noun}`, formatValue(node.self, data.unit)]);
    if (viewTotal !== data.total[0]) lines.push(['Share of view', formatShare(node.total, viewTotal)]);
    if (node.type) lines.push(['Mostly', node.type]);
    if (node.score !== undefined) lines.push(['Leak score', String(node.score)]);
    if (data.mode === 'diff') {
      lines.push(['Before', formatValue(node.before ?? 0, data.unit)]);
      lines.push(['Change', formatDelta(node, data.unit)]);
    }
    const title = document.createElement('div');
    title.className = 'flame-tooltip-title';
    title.textContent = node.name;
    const file = document.createElement('div');
    file.className = 'flame-tooltip-file';
    file.textContent = location || kindLabel(node);
    const table = document.createElement('dl');
    for (const [term, value] of lines) {
      const dt = document.createElement('dt');
      dt.textContent = term;
      const dd = document.createElement('dd');
      dd.textContent = value;
      table.append(dt, dd);
    }
    this.element.replaceChildren(title, file, table);
    this.element.hidden = false;
    this.owner.setAttribute('aria-describedby', this.element.id);
    this.place(clientX, clientY);
  }

  hide(): void {
    this.element.hidden = true;
    this.owner.removeAttribute('aria-describedby');
  }

  /** Next to the pointer, flipped to stay inside the window. */
  private place(clientX: number, clientY: number): void {
    const { width, height } = this.element.getBoundingClientRect();
    const x = clientX + 14 + width > window.innerWidth ? Math.max(0, clientX - 14 - width) : clientX + 14;
    const y = clientY + 14 + height > window.innerHeight ? Math.max(0, clientY - 14 - height) : clientY + 14;
    this.element.style.left = `${x}px`;
    this.element.style.top = `${y}px`;
  }
}

function kindLabel(node: Frame): string {
  switch (node.kind) {
    case 'resource':
      return 'resource type';
    case 'native':
      return 'native code';
    case 'root':
      return 'everything';
    default:
      return 'no source location';
  }
}
