import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FsError } from '../rootfs/types';
import { ReadableIn, nodeOut } from './node-io';
import { chunkBuffer } from './streams';

describe('node streams as process streams', () => {
  it('ReadableIn: reads up to max, keeps the rest, null at the end', async () => {
    const r = new PassThrough();
    const input = new ReadableIn(r);
    r.end('abcdef');
    expect(chunkBuffer((await input.read(4))!).toString()).toBe('abcd');
    expect(chunkBuffer((await input.read())!).toString()).toBe('ef');
    expect(await input.read()).toBe(null);
  });

  it('ReadableIn: close() ends a waiting read', async () => {
    const input = new ReadableIn(new PassThrough());
    const waiting = input.read();
    input.close();
    expect(await waiting).toBe(null);
  });

  it('ReadableIn: a newer read takes the bytes from an older one still waiting (its process was killed)', async () => {
    const r = new PassThrough();
    const input = new ReadableIn(r);
    let orphan = false;
    void input.read().then(() => (orphan = true));
    const live = input.read();
    r.write('data');
    expect(chunkBuffer((await live)!).toString()).toBe('data');
    expect(orphan).toBe(false);
  });

  it('nodeOut: waits for drain; EPIPE when the writable goes or the signal aborts', async () => {
    let release: (() => void) | undefined;
    const w = new Writable({
      highWaterMark: 4,
      write(_c, _e, cb) {
        release = cb;
      },
    });
    const stop = new AbortController();
    const out = nodeOut(w, stop.signal);
    let written = false;
    const p = out.write('12345678').then(() => (written = true));
    await new Promise((r) => setImmediate(r));
    expect(written).toBe(false);
    release!();
    await p;
    const blocked = out.write('more bytes');
    stop.abort();
    await expect(blocked).rejects.toBeInstanceOf(FsError);
    await expect(out.write('x')).rejects.toMatchObject({ code: 'EPIPE' });
  });
});
