import { expect } from 'vitest';

// How tests wait: for a state or an event, polled, with a generous deadline
// (the machine may be loaded); never for a fixed time.
const POLL_MS = 25;
const pause = () => new Promise((r) => setTimeout(r, POLL_MS));

// Until fn answers something truthy, which is returned.
export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await pause();
  }
}

// That something does not happen: fn stays truthy, checked throughout a
// window of at least ms. Load can only make the window longer, never fail it.
export async function stays(what: string, fn: () => unknown, ms: number): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    expect(await fn(), `${what}, for ${ms} ms`).toBeTruthy();
    if (Date.now() > end) return;
    await pause();
  }
}
