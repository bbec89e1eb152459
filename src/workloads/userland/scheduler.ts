// Time slices for everything the containers run. Shells and applets call
// yield() between steps; past SLICE_MS of work since the slice began they
// wait for the next slice, which starts from setImmediate: the event loop
// polls sockets in between, so RPCs are served whatever the containers do,
// and waiters resume in turn (first come, first served).
const SLICE_MS = 4;
// A slice older than this means nobody ran for a while: start a fresh one
// at once instead of costing a loop turn (an ExecSync after an idle spell).
const IDLE_MS = 50;

let sliceStart = 0;
let waiters: (() => void)[] = [];
let scheduled = false;

function drain(): void {
  scheduled = false;
  sliceStart = performance.now();
  const ready = waiters;
  waiters = [];
  for (const resume of ready) resume();
}

// Resolves at once while the slice lasts, else in the next slice.
export function nextSlice(): Promise<void> | undefined {
  const now = performance.now();
  const age = now - sliceStart;
  if (age < SLICE_MS) return undefined;
  if (age > IDLE_MS && waiters.length === 0 && !scheduled) {
    sliceStart = now;
    return undefined;
  }
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
  return new Promise((r) => waiters.push(r));
}
