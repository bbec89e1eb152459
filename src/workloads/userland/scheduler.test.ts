import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { answerLeaving, nextSlice } from './scheduler';

// The slices run on a clock of the test's own, in steps of 1/8 ms (exact in
// binary): a slice of 1 ms is 8 steps of a busy process.
const STEP_MS = 0.125;
let now = 0;

beforeEach(() => {
  // Long after any slice of an earlier test: the first nextSlice() starts a fresh one.
  now += 1000;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
});

afterEach(() => {
  vi.restoreAllMocks();
});

// A busy process: a step, then nextSlice(). Answers how many steps each
// slice ran; `after(k)` is called when the k-th slice ends.
async function busy(slices: number, after: (k: number) => void = () => {}): Promise<number[]> {
  const runs: number[] = [];
  let steps = 0;
  expect(nextSlice()).toBeUndefined();
  while (runs.length < slices) {
    now += STEP_MS;
    steps++;
    const wait = nextSlice();
    if (!wait) continue;
    runs.push(steps);
    steps = 0;
    after(runs.length);
    await wait;
  }
  return runs;
}

describe('time slices', () => {
  it('runs a busy process a millisecond per slice', async () => {
    expect(await busy(3)).toEqual([8, 8, 8]);
  });

  it('makes the slice after an RPC answer a short one, then whole ones again', async () => {
    // The answer's trailers leave a turn later: the slice in between is 0.25 ms.
    expect(await busy(4, (k) => k === 2 && answerLeaving())).toEqual([8, 8, 2, 8]);
  });
});
