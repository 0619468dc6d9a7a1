const MAGIC_COMMENT = /^\s*\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/;

/**
 * The URL of the script's last `//# sourceMappingURL=` comment (or legacy `//@`), as written.
 * Only whole comment lines count, so a string literal mentioning the pragma is not taken for it.
 */
export function findSourceMappingUrl(script: string): string | undefined {
  // Scan backwards from the end: the comment is normally on the last line of a large bundle.
  for (let end = script.length; end >= 0; ) {
    const at = script.lastIndexOf('sourceMappingURL=', end);
    if (at < 0) return undefined;
    const lineStart = script.lastIndexOf('\n', at) + 1;
    const newline = script.indexOf('\n', at);
    const match = MAGIC_COMMENT.exec(script.slice(lineStart, newline < 0 ? script.length : newline));
    if (match) return match[1];
    end = at - 1;
  }
  return undefined;
}

export function isDataUrl(url: string): boolean {
  return /^data:/i.test(url);
}

/**
 * The text of an inline map: `data:application/json;base64,…` (with or without `charset=…`),
 * or percent-encoded when `;base64` is absent. Throws on a malformed URL.
 */
export function decodeDataUrl(url: string): string {
  const comma = url.indexOf(',');
  if (!isDataUrl(url) || comma < 0) throw new Error('malformed data: URL');
  const parameters = url
    .slice('data:'.length, comma)
    .split(';')
    .map((parameter) => parameter.trim().toLowerCase());
  const payload = url.slice(comma + 1);
  return parameters.includes('base64') ? Buffer.from(payload, 'base64').toString('utf8') : decodeURIComponent(payload);
}
