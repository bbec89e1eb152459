// Time slices for everything the containers run. Shells and applets call
// yield() between steps; past SLICE_MS of work since the slice began they
// wait for the next slice, which starts from setImmediate: the event loop
// polls sockets in between, so RPCs are served whatever the containers do.
// A slice resumes its waiters one at a time, first come first served, and
// only while it lasts: the rest wait for the next one, so a thousand busy
// containers cost one slice per turn of the loop, not a step each.
const SLICE_MS = 4;
// A slice older than this means nobody ran for a while: start a fresh one
// at once instead of costing a loop turn (an ExecSync after an idle spell).
const IDLE_MS = 50;

let sliceStart = 0;
let waiters: (() => void)[] = [];
let head = 0;
let scheduled = false;

const waiting = () => waiters.length - head;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}

function drain(): void {
  scheduled = false;
  sliceStart = performance.now();
  void resumeInTurn();
}

async function resumeInTurn(): Promise<void> {
  while (waiting() > 0 && performance.now() - sliceStart < SLICE_MS) {
    const resume = waiters[head++];
    resume();
    // The resumed one runs up to its next wait before the next is resumed.
    await null;
  }
  if (head > 1024 && head * 2 > waiters.length) {
    waiters = waiters.slice(head);
    head = 0;
  }
  if (waiting() > 0) schedule();
}

// Resolves at once while the slice lasts, else in a later slice.
export function nextSlice(): Promise<void> | undefined {
  const now = performance.now();
  const age = now - sliceStart;
  if (age < SLICE_MS) return undefined;
  if (age > IDLE_MS && waiting() === 0 && !scheduled) {
    sliceStart = now;
    return undefined;
  }
  schedule();
  return new Promise((r) => waiters.push(r));
}
