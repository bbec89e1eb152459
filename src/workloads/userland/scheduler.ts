// Time slices for everything the containers run. Shells and applets call
// yield() between steps; past SLICE_MS of work since the slice began they
// wait for the next slice, which starts from setImmediate: the event loop
// polls sockets in between, so RPCs are served whatever the containers do.
// A slice resumes its waiters one at a time, first come first served, each
// running up to its next wait before the next is resumed, and only while
// the slice lasts: the rest wait for the next one, so a thousand busy
// containers cost one slice per turn of the loop, not a step each.
const SLICE_MS = 4;
// A slice older than this means nobody ran for a while: start a fresh one
// at once instead of costing a loop turn (an ExecSync after an idle spell).
const IDLE_MS = 50;

let sliceStart = 0;
let waiters: (() => void)[] = [];
let head = 0;
let scheduled = false;
// Set when someone waits for a later slice: the one resumed last is done.
let parked = false;
// How long the resumer waits for the one it resumed to park (see above).
const MAX_HOPS = 64;

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
    parked = false;
    resume();
    // The resumed one runs up to its next wait before the next is resumed:
    // until it parks here again, or for a few dozen microtask hops (a step
    // of a shell; one that went to sleep on a timer or a read never parks).
    // Without this, each resume took one hop and the resumed ones ran all
    // at once, each a step past the end of the slice.
    for (let hops = 0; hops < MAX_HOPS && !parked; hops++) await null;
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
  parked = true;
  return new Promise((r) => waiters.push(r));
}
