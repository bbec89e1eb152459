import ms from 'ms';

// Durations as people write them ("500ms", "30s", "2m") or as milliseconds.
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new Error(`${value} is not a duration`);
    return value;
  }
  const n = /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : ms(value as ms.StringValue);
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new Error(`"${value}" is not a duration (like 500ms, 30s or 2m)`);
  return n;
}
