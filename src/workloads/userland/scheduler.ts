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
// The slice of a turn in which an RPC was answered. grpc-js ends a unary
// answer with trailers that Node's http2 asks for only once the message's
// write has completed, a turn later: a whole slice in between held every
// answer back by it.
const ANSWERED_SLICE_MS = 0.25;
// A slice older than this means nobody ran for a while: start a fresh one
// at once instead of costing a loop turn (an ExecSync after an idle spell).
const IDLE_MS = 50;

let sliceStart = 0;
let sliceMs = SLICE_MS;
let answered = false;
let waiters: (() => void)[] = [];
let head = 0;
let scheduled = false;
// The one resumed last has neither parked nor blocked yet. One that waits
// on something else (a pipe, a child) never says so: the next slice, a
// turn later, goes on without it.
let running = false;

const waiting = () => waiters.length - head;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}

function startSlice(now: number): void {
  sliceStart = now;
  sliceMs = answered ? ANSWERED_SLICE_MS : SLICE_MS;
  answered = false;
}

function drain(): void {
  scheduled = false;
  startSlice(performance.now());
  running = false;
  resumeNext();
}

// Resumes the next waiter while the slice lasts. Called again when that
// one parks or blocks: told, not polled, for polling it with microtask
// hops allocated as much as the shells' own steps did.
function resumeNext(): void {
  if (waiting() > 0 && performance.now() - sliceStart < sliceMs) {
    const resume = waiters[head++];
    running = true;
    resume();
  }
  if (head > 1024 && head * 2 > waiters.length) {
    waiters = waiters.slice(head);
    head = 0;
  }
  if (waiting() > 0) schedule();
}

// The one resumed last parked or blocked: the slice goes on with the next.
function released(): void {
  if (!running) return;
  running = false;
  resumeNext();
}

// Resolves at once while the slice lasts, else in a later slice.
export function nextSlice(): Promise<void> | undefined {
  const now = performance.now();
  const age = now - sliceStart;
  if (age < sliceMs) return undefined;
  if (age > IDLE_MS && waiting() === 0 && !scheduled) {
    startSlice(now);
    return undefined;
  }
  const wait = new Promise<void>((r) => waiters.push(r));
  released();
  schedule();
  return wait;
}

// The one running is about to wait on a timer: the slice goes on with the
// next waiter at once.
export function blocking(): void {
  released();
}

// An RPC answer is on its way out: the next slice is a short one
// (ANSWERED_SLICE_MS).
export function answerLeaving(): void {
  answered = true;
}
