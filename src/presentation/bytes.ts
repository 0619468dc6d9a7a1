/** Byte counts as people read them: `512 B`, `12.5 KiB`, `3.2 MiB`. */
export function formatBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  const abs = Math.abs(bytes);
  if (abs < 1024) return `${sign}${abs} B`;
  if (abs < 1024 ** 2) return `${sign}${(abs / 1024).toFixed(1)} KiB`;
  if (abs < 1024 ** 3) return `${sign}${(abs / 1024 ** 2).toFixed(1)} MiB`;
  return `${sign}${(abs / 1024 ** 3).toFixed(2)} GiB`;
}
