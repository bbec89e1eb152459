import { describe, expect, it } from 'vitest';
import { ProgramClock } from './clock';

// A program's rounds: a write, then a sleep of 10 ms, as a loop appending to
// a file does. What the replay drops must be exactly what was done.
async function round(clock: ProgramClock, signal: AbortSignal): Promise<boolean> {
  const dropped = clock.effect();
  await clock.sleep(10, signal);
  return dropped;
}

describe('ProgramClock', () => {
  const signal = new AbortController().signal;

  it('replays to a recorded position by sleeps and writes, whatever time the first run took', async () => {
    const start = Date.now();
    const first = new ProgramClock(start);
    for (let i = 0; i < 3; i++) {
      first.effect();
      // The first run is slow: work between its sleeps takes time the
      // replay does not take.
      const busy = Date.now() + 15;
      while (Date.now() < busy);
      await first.sleep(10, signal);
    }
    first.effect();
    const at = first.position()!;
    expect(at).toMatchObject({ sleeps: 3, n: 1 });

    const again = new ProgramClock(start, at);
    // Stopped again before it has caught up: it had got no further.
    expect(again.position()).toEqual(at);
    const dropped = [];
    for (let i = 0; i < 5; i++) dropped.push(await round(again, signal));
    // Rounds 0–2 and round 3's write were done; round 4's was not.
    expect(dropped).toEqual([true, true, true, true, false]);
    expect(again.replaying()).toBe(false);
  });

  it("the sleep it was in when it stopped ends when it would have", async () => {
    const start = Date.now();
    const first = new ProgramClock(start);
    // Late to its sleep, which ends 300 ms after it began; stopped in it.
    const busy = Date.now() + 50;
    while (Date.now() < busy);
    await first.sleep(300, AbortSignal.timeout(1)).catch(() => {});
    const at = first.position()!;
    expect(at.t).toBeGreaterThanOrEqual(start + 350);
    const again = new ProgramClock(start, at);
    await again.sleep(300, signal);
    // Not at start + 300, where a replay on its own would put it.
    expect(again.position()?.t).toBe(at.t);
    expect(Date.now()).toBeGreaterThanOrEqual(at.t);
    expect(again.replaying()).toBe(false);
  });

  it('live, a sleep ends its time after it began, whatever sleeps run beside it (a background sleep 100 &)', async () => {
    const clock = new ProgramClock(Date.now());
    const long = new AbortController();
    const background = clock.sleep(100_000, long.signal).catch(() => {});
    const began = Date.now();
    await clock.sleep(20, signal);
    // Ended at its own 20 ms, not after the background sleep's 100 s.
    expect(Date.now() - began).toBeLessThan(100_000);
    expect(clock.now()).toBeLessThanOrEqual(Date.now());
    long.abort();
    await background;
  });

  it('after a kill -9 it replays by time, to the restart', async () => {
    const start = Date.now() - 1000;
    const clock = new ProgramClock(start, start + 25);
    expect(clock.position()).toBeUndefined();
    expect(await round(clock, signal)).toBe(true);
    expect(await round(clock, signal)).toBe(true);
    expect(await round(clock, signal)).toBe(true);
    expect(await round(clock, signal)).toBe(false);
  });
});
