// Nanosecond wall-clock timestamps as decimal strings (int64 does not fit a
// JS number). Every value handed out is strictly greater than the previous one:
// the kubelet sorts sandboxes by created_at and the eviction manager ignores a
// stats observation whose timestamp did not advance.
const wallAtStart = BigInt(Date.now()) * 1_000_000n;
const hrAtStart = process.hrtime.bigint();
let last = 0n;

export function nowNanos(): string {
  let t = wallAtStart + (process.hrtime.bigint() - hrAtStart);
  // wallAtStart is Date.now() cut to the millisecond: never behind it, or a
  // program's end, timed by Date.now(), would come out before its time.
  const wall = BigInt(Date.now()) * 1_000_000n;
  if (t < wall) t = wall;
  if (t <= last) t = last + 1n;
  last = t;
  return t.toString();
}

// After a restart the wall clock may have stepped back; never hand out a
// timestamp older than one already persisted.
export function observeNanos(ns: string): void {
  const v = BigInt(ns);
  if (v > last) last = v;
}

export function nanosToDate(ns: string): Date {
  return new Date(Number(BigInt(ns) / 1_000_000n));
}
