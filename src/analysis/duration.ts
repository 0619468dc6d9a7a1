/** Kept so analysis/leakScore.ts (being recalibrated elsewhere) keeps its import; the formatter lives in src/presentation. */
export { formatDuration } from '../presentation/duration';
