/** VS Code's theme as the canvas needs it, read from the CSS variables VS Code sets on the page. */
export interface Theme {
  kind: 'light' | 'dark' | 'high-contrast' | 'high-contrast-light';
  background: string;
  foreground: string;
  /** Text on coloured frames: boxes are light in light themes and dark in dark ones. */
  frameText: string;
  focusBorder: string;
  /** Drawn around every frame in high-contrast themes; '' otherwise. */
  contrastBorder: string;
  fontFamily: string;
  fontSize: number;
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.body);
  const css = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const classes = document.body.classList;
  const kind: Theme['kind'] = classes.contains('vscode-high-contrast-light')
    ? 'high-contrast-light'
    : classes.contains('vscode-high-contrast')
      ? 'high-contrast'
      : classes.contains('vscode-light')
        ? 'light'
        : 'dark';
  const light = kind === 'light' || kind === 'high-contrast-light';
  const highContrast = kind.startsWith('high-contrast');
  return {
    kind,
    background: css('--vscode-editor-background', light ? '#ffffff' : '#1e1e1e'),
    foreground: css('--vscode-editor-foreground', light ? '#000000' : '#cccccc'),
    frameText: light ? '#000000' : '#ffffff',
    focusBorder: css('--vscode-focusBorder', '#007fd4'),
    contrastBorder: highContrast ? css('--vscode-contrastBorder', light ? '#0f4a85' : '#6fc3df') : '',
    fontFamily: css('--vscode-font-family', 'system-ui, sans-serif'),
    // Readable at small sizes: never below 11px whatever the editor says.
    fontSize: Math.max(11, parseFloat(css('--vscode-font-size', '13')) || 13),
  };
}

/** Calls `onChange` when VS Code switches theme: it swaps the body's classes and the root's variables. */
export function watchTheme(onChange: () => void): void {
  const observer = new MutationObserver(onChange);
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}
