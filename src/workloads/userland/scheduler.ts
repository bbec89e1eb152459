// Time slices for everything the containers run. Shells and applets call
// nextSlice() between steps; past SLICE_MS of work since the slice began
// they wait for the next slice, which starts from setImmediate: the event
// loop polls sockets in between, so RPCs are served whatever the containers
// do. A slice resumes its waiters one at a time, first come first served,
// each running until it parks again or blocks (blocking()), and only while
// the slice lasts: the rest wait for the next one, so a thousand busy
// containers cost one slice per turn of the loop, not a step each.
//
// 1 ms: an RPC waits for the slice under way and the loop's other work, a
// turn or two; at 4 ms, with a thousand shells looping, its p50 was 13 ms.
const SLICE_MS = 1;
// A slice older than this means nobody ran for a while: start a fresh one
// at once instead of costing a loop turn (an ExecSync after an idle spell).
const IDLE_MS = 50;
// How many microtask hops the resumer waits for the one it resumed to park
// or block, before it takes it as blocked somewhere else (a pipe, a wait)
// and resumes the next.
const MAX_HOPS = 64;

let sliceStart = 0;
let waiters: (() => void)[] = [];
let head = 0;
let scheduled = false;
// What the one resumed last has done since: parked (waits for a later
// slice) or blocked (on a timer).
let parked = false;
let blocked = false;

// Awaited for a hop: a promise already settled costs no promise of its own.
const RESOLVED = Promise.resolve();

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
    blocked = false;
    resume();
    // The resumed one runs up to its next wait before the next is resumed:
    // until it parks here again or blocks, or for a few dozen microtask
    // hops (a step of a shell; one that waits on a pipe or a child does
    // neither).
    // Without this, each resume took one hop and the resumed ones ran all
    // at once, each a step past the end of the slice.
    for (let hops = 0; hops < MAX_HOPS && !parked && !blocked; hops++) await RESOLVED;
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

// The one running is about to wait on a timer: the slice goes on with the
// next waiter at once, instead of after MAX_HOPS hops.
export function blocking(): void {
  blocked = true;
}
