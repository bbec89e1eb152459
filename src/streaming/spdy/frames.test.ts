import { readFileSync } from 'node:fs';
import { constants, deflateSync, inflateSync } from 'node:zlib';
import { Deflate } from 'pako';
import { describe, expect, it } from 'vitest';
import { HeaderCompressor, HeaderDecompressor } from './compression';
import { FrameType, MAX_CONTROL_PAYLOAD } from './constants';
import { SPDY3_DICTIONARY } from './dictionary';
import { ProtocolError } from './errors';
import { dataFrame, goAwayFrame, parseControl, pingFrame, rstStreamFrame, settingsFrame, synReplyFrame, synStreamFrame, windowUpdateFrame } from './frames';
import { decodeHeaderBlock, encodeHeaderBlock } from './header-block';
import { type FrameEvent, FrameReader } from './reader';

const GO_DICTIONARY = '/usr/share/gocode/src/github.com/moby/spdystream/spdy/dictionary.go';

function readAll(reader: FrameReader): FrameEvent[] {
  const out: FrameEvent[] = [];
  for (let ev = reader.next(); ev; ev = reader.next()) out.push(ev);
  return out;
}

describe('SPDY/3 dictionary', () => {
  it('is byte for byte the one in moby/spdystream (Debian golang-github-docker-spdystream-dev)', () => {
    const go = readFileSync(GO_DICTIONARY, 'utf8');
    const body = go.slice(go.indexOf('headerDictionary = []byte{'));
    const bytes = Buffer.from([...body.slice(0, body.indexOf('}')).matchAll(/0x([0-9a-f]{2})/g)].map((m) => parseInt(m[1], 16)));
    expect(bytes.length).toBe(1423);
    expect(SPDY3_DICTIONARY.equals(bytes)).toBe(true);
  });
});

describe('header blocks', () => {
  it('round-trips, lower-cases names, joins NUL-separated values with ","', () => {
    const block = encodeHeaderBlock({ StreamType: 'stdout', port: '8080' });
    expect(decodeHeaderBlock(block)).toEqual({ streamtype: 'stdout', port: '8080' });
    // What Go writes for http.Header{"X-Multi": {"a", "b"}}.
    const multi = Buffer.concat([u32(1), u32(7), Buffer.from('x-multi'), u32(3), Buffer.from('a\0b')]);
    expect(decodeHeaderBlock(multi)).toEqual({ 'x-multi': 'a,b' });
    expect(decodeHeaderBlock(encodeHeaderBlock({}))).toEqual({});
    // Two names that are one in lower case go as one header, NUL-separated.
    const twice = encodeHeaderBlock({ Accept: 'a', accept: 'b' });
    expect(twice.readUInt32BE(0)).toBe(1);
    expect(twice.includes(Buffer.from('a\0b'))).toBe(true);
  });

  it('refuses blocks whose lengths lie', () => {
    const bad = [
      Buffer.alloc(2),
      Buffer.concat([u32(1)]),
      Buffer.concat([u32(0xffffffff), Buffer.alloc(8)]),
      Buffer.concat([u32(1), u32(100), Buffer.from('x')]),
      Buffer.concat([u32(1), u32(1), Buffer.from('x'), u32(0xfffffff0)]),
      Buffer.concat([u32(1), u32(0), u32(0)]), // empty name
      Buffer.concat([encodeHeaderBlock({ a: 'b' }), Buffer.from('junk')]),
    ];
    for (const b of bad) expect(() => decodeHeaderBlock(b), b.toString('hex')).toThrow(ProtocolError);
  });
});

describe('header compression', () => {
  it('sends one zlib stream, each block ending on a sync flush, that zlib reads back', async () => {
    const c = new HeaderCompressor();
    const blocks = [1, 2, 3].map((i) => encodeHeaderBlock({ streamtype: 'data', port: '8080', requestid: String(i) }));
    // One block over the 64 KiB a stored block holds.
    blocks.push(encodeHeaderBlock({ big: 'v'.repeat(70_000) }));
    const wire: Buffer[] = [];
    for (const b of blocks) wire.push(await c.compress(b));
    for (const w of wire) expect(w.subarray(-4).toString('hex')).toBe('0000ffff');
    // node:zlib (C zlib) checks the dictionary's id and reads the blocks.
    const whole = inflateSync(Buffer.concat(wire), { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    expect(whole.equals(Buffer.concat(blocks))).toBe(true);
    // Without the dictionary, zlib refuses the stream: it names one.
    expect(() => inflateSync(wire[0], { finishFlush: constants.Z_SYNC_FLUSH })).toThrow(/dictionary/i);
    const d = new HeaderDecompressor();
    for (let i = 0; i < blocks.length; i++) expect((await d.decompress(wire[i])).equals(blocks[i])).toBe(true);
    c.close();
    d.close();
  });

  it('reads a compressed zlib stream whose later blocks refer back to earlier ones', async () => {
    // As Go's spdy framer writes: one deflater at best compression, flushed per block.
    const z = new Deflate({ dictionary: SPDY3_DICTIONARY, level: 9 });
    let out: Uint8Array[] = [];
    z.onData = (chunk: Uint8Array) => out.push(chunk);
    const blocks = [1, 2, 3].map((i) => encodeHeaderBlock({ streamtype: 'data', port: '8080', requestid: String(i) }));
    const wire = blocks.map((b) => {
      out = [];
      z.push(b, 2); // Z_SYNC_FLUSH
      return Buffer.concat(out);
    });
    expect(wire[2].length).toBeLessThan(wire[0].length);
    const d = new HeaderDecompressor();
    for (let i = 0; i < blocks.length; i++) expect((await d.decompress(wire[i])).equals(blocks[i])).toBe(true);
    d.close();
  });

  it('answers blocks queued at once in order', async () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor();
    const blocks = Array.from({ length: 50 }, (_, i) => encodeHeaderBlock({ n: String(i).repeat(i) }));
    const wire = await Promise.all(blocks.map((b) => c.compress(b)));
    const back = await Promise.all(wire.map((w) => d.decompress(w)));
    back.forEach((b, i) => expect(b.equals(blocks[i])).toBe(true));
    c.close();
    d.close();
  });

  it('refuses garbage and a block that inflates past the limit', async () => {
    const d = new HeaderDecompressor();
    await expect(d.decompress(Buffer.from('not zlib at all'))).rejects.toThrow(ProtocolError);
    // Once failed, it stays failed: the context cannot be trusted.
    await expect(d.decompress(Buffer.from('more'))).rejects.toThrow();
    const small = new HeaderDecompressor(1000);
    const bomb = deflateSync(Buffer.alloc(100_000), { dictionary: SPDY3_DICTIONARY });
    await expect(small.decompress(bomb)).rejects.toThrow(/over 1000 bytes/);
    d.close();
    small.close();
  });
});

describe('frames', () => {
  it('cut anywhere, read back the same', () => {
    const payload = Buffer.from('x'.repeat(300));
    const wire = Buffer.concat([
      synStreamFrame(1, 0x01, Buffer.from('BLOCK'), 0, 3),
      dataFrame(1, false, payload),
      dataFrame(3, true),
      pingFrame(7),
      rstStreamFrame(5, 5),
      goAwayFrame(9, 0),
      windowUpdateFrame(0, 1000),
      settingsFrame([{ flags: 0, id: 4, value: 100 }]),
      synReplyFrame(2, 0, Buffer.from('R')),
    ]);
    for (const step of [1, 2, 3, 7, 8, 9, 64, wire.length]) {
      const reader = new FrameReader();
      const events: FrameEvent[] = [];
      for (let at = 0; at < wire.length; at += step) {
        reader.push(wire.subarray(at, at + step));
        events.push(...readAll(reader));
      }
      expect(reader.midFrame()).toBeUndefined();
      const control = events.filter((e) => e.kind === 'control').map((e) => e.kind === 'control' && parseControl(e.frameType, e.flags, e.payload));
      expect(control).toEqual([
        { type: 'syn_stream', flags: 1, streamId: 1, associatedTo: 0, priority: 3, block: Buffer.from('BLOCK') },
        { type: 'ping', id: 7 },
        { type: 'rst_stream', streamId: 5, status: 5 },
        { type: 'goaway', lastGoodStreamId: 9, status: 0 },
        { type: 'window_update', streamId: 0, delta: 1000 },
        { type: 'settings', flags: 0, settings: [{ flags: 0, id: 4, value: 100 }] },
        { type: 'syn_reply', flags: 0, streamId: 2, block: Buffer.from('R') },
      ]);
      const data = events.filter((e) => e.kind === 'data');
      const s1 = Buffer.concat(data.filter((e) => e.streamId === 1).map((e) => e.chunk));
      expect(s1.equals(payload)).toBe(true);
      expect(data.filter((e) => e.end).map((e) => [e.streamId, e.fin])).toEqual([
        [1, false],
        [3, true],
      ]);
    }
  });

  it('refuses what cannot be framed', () => {
    const control = (version: number, type: number, length: number) =>
      Buffer.from([0x80 | (version >> 8), version & 0xff, 0, type, 0, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]);
    const cases: [string, Buffer, RegExp][] = [
      ['SPDY/2', control(2, FrameType.PING, 4), /version 2/],
      ['huge control frame', control(3, FrameType.SYN_STREAM, MAX_CONTROL_PAYLOAD + 1), /control frame of/],
      ['DATA on stream 0', dataFrame(0, false, Buffer.from('x')), /stream 0/],
    ];
    for (const [what, wire, re] of cases) {
      const reader = new FrameReader();
      reader.push(wire);
      expect(() => reader.next(), what).toThrow(re);
    }
    expect(() => parseControl(FrameType.PING, 0, Buffer.alloc(3))).toThrow(ProtocolError);
    expect(() => parseControl(FrameType.RST_STREAM, 0, Buffer.alloc(8))).toThrow(/stream 0/);
    expect(() => parseControl(FrameType.SETTINGS, 0, Buffer.concat([u32(2), Buffer.alloc(8)]))).toThrow(ProtocolError);
    expect(() => parseControl(FrameType.SYN_STREAM, 0, Buffer.alloc(9))).toThrow(ProtocolError);
    // Unknown control frame types are ignored, as SPDY/3 says.
    expect(parseControl(42, 0, Buffer.alloc(3))).toEqual({ type: 'unknown', frameType: 42 });
  });

  it('a truncated frame says where it stopped', () => {
    const reader = new FrameReader();
    reader.push(dataFrame(1, false, Buffer.alloc(100)).subarray(0, 50));
    readAll(reader);
    expect(reader.midFrame()).toMatch(/58 bytes still to come/);
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}
