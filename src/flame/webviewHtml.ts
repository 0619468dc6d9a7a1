/**
 * The flame graph webview's page: the bundle (dist/webview/flameGraph.js and .css) under a
 * strict Content-Security-Policy. Kept free of the editor API so the Chromium tests load the
 * very page the panel serves, with the same policy. The toolkit (FAST) reads the nonce from the
 * `csp-nonce` meta tag for the style elements it creates.
 */
export interface FlameGraphPageOptions {
  /** `webview.cspSource`: the origin the page's own resources come from. */
  cspSource: string;
  /** Fresh per page load; the only way a script runs. */
  nonce: string;
  /** `asWebviewUri` of dist/webview/flameGraph.js and .css. */
  scriptUri: string;
  styleUri: string;
}

export function flameGraphHtml({ cspSource, nonce, scriptUri, styleUri }: FlameGraphPageOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce)) throw new Error('the nonce must be at least 16 base64 characters');
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${attribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta property="csp-nonce" content="${nonce}">
<link rel="stylesheet" href="${attribute(styleUri)}" nonce="${nonce}">
<title>Leak Inspector: flame graph</title>
</head>
<body>
<script nonce="${nonce}" src="${attribute(scriptUri)}"></script>
</body>
</html>
`;
}

function attribute(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
