import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { deflateSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { stays, until } from '../../test/wait';
import { HeaderCompressor } from './compression';
import { FrameType, RstStatus } from './constants';
import { SPDY3_DICTIONARY } from './dictionary';
import { dataFrame, goAwayFrame, parseControl, pingFrame, rstStreamFrame, settingsFrame, synStreamFrame, windowUpdateFrame } from './frames';
import { encodeHeaderBlock } from './header-block';
import { SpdyProtocolError, SpdySession, type SpdySessionOptions, type SpdyStream } from './index';
import { FrameReader } from './reader';

// TypeScript client and server sessions over a real TCP socket on 127.0.0.1.

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function listen(onSocket: (s: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer(onSocket);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(() => server.close());
  return { server, port: (server.address() as { port: number }).port };
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  cleanups.push(() => s.destroy());
  return s;
}

interface Pair {
  server: SpdySession;
  client: SpdySession;
  serverClosed: Promise<Error | undefined>;
  clientClosed: Promise<Error | undefined>;
  clientSocket: Socket;
}

async function pair(serverOpts: Partial<SpdySessionOptions> = {}, onStream?: (s: SpdyStream) => void): Promise<Pair> {
  let accepted: SpdySession | undefined;
  const { port } = await listen((socket) => {
    accepted = new SpdySession(socket, { server: true, ...serverOpts });
    if (onStream) accepted.on('stream', onStream);
  });
  const clientSocket = await dial(port);
  const server = await until('server session', () => accepted);
  const client = new SpdySession(clientSocket, { server: false });
  cleanups.push(() => server.destroy(), () => client.destroy());
  const closed = (s: SpdySession) => new Promise<Error | undefined>((r) => s.once('close', r));
  return { server, client, serverClosed: closed(server), clientClosed: closed(client), clientSocket };
}

function collect(s: SpdyStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  s.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('close', () => reject(new Error(`stream ${s.id} closed before its end`)));
  });
}

const echo = (s: SpdyStream) => {
  s.reply({ 'x-echo': 'yes' });
  s.pipe(s);
};

describe('SpdySession, TypeScript on both ends', () => {
  it('opens a stream with headers, replies, and echoes both ways', async () => {
    let seen: SpdyStream | undefined;
    const p = await pair({}, (s) => {
      seen = s;
      echo(s);
    });
    const s = p.client.open({ StreamType: 'stdin', port: '80' });
    expect(s.id).toBe(1);
    const [reply] = (await once(s, 'reply')) as [Record<string, string>];
    expect(reply).toEqual({ 'x-echo': 'yes' });
    expect(seen!.headers).toEqual({ streamtype: 'stdin', port: '80' });
    const data = randomBytes(300_000);
    const back = collect(s);
    s.end(data);
    expect((await back).equals(data)).toBe(true);
    await until('both sides forget the stream', () => p.client.openStreams === 0 && p.server.openStreams === 0);
    // The next stream gets the next odd id.
    expect(p.client.open({}).id).toBe(3);
  });

  it('half-closes: each side ends on its own, the other still writes', async () => {
    const p = await pair({}, (s) => {
      s.reply();
      const got = collect(s);
      void got.then((b) => {
        // The client's FIN came; our side is still open.
        s.write(`you said ${b.toString()}`);
        setImmediate(() => s.end(' and bye'));
      });
    });
    const s = p.client.open({});
    await once(s, 'reply');
    s.end('hello');
    expect((await collect(s)).toString()).toBe('you said hello and bye');
    await until('stream done', () => p.server.openStreams === 0 && p.client.openStreams === 0);
  });

  it('resets: the peer sees RST_STREAM CANCEL; refusing before reply', async () => {
    const onServer: SpdyStream[] = [];
    const p = await pair({}, (s) => {
      onServer.push(s);
      if (s.headers.refuse) s.reset(RstStatus.REFUSED_STREAM);
      else s.reply();
    });
    const s = p.client.open({});
    await once(s, 'reply');
    s.write('some');
    const resetSeen = once(await until('server stream', () => onServer[0]), 'reset');
    s.reset();
    expect(await resetSeen).toEqual([RstStatus.CANCEL]);
    await until('server stream destroyed', () => onServer[0].destroyed);
    expect(onServer[0].resetStatus).toBe(RstStatus.CANCEL);

    const refused = p.client.open({ refuse: 'yes' });
    expect(await once(refused, 'reset')).toEqual([RstStatus.REFUSED_STREAM]);
    expect(refused.destroyed).toBe(true);
    // Writes to a stream that is gone fail without taking the session down.
    expect(await p.client.ping()).toBeGreaterThanOrEqual(0);
    expect(p.client.openStreams + p.server.openStreams).toBe(0);
  });

  it('answers PINGs either way', async () => {
    const p = await pair();
    const rtts = await Promise.all([p.client.ping(), p.client.ping(), p.server.ping()]);
    for (const ms of rtts) expect(ms).toBeGreaterThanOrEqual(0);
  });

  it('carries many streams at once', async () => {
    const p = await pair({}, echo);
    const n = 300;
    const results = await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const s = p.client.open({ index: String(i) });
        const data = randomBytes(20_000 + i * 100);
        const back = collect(s);
        s.end(data);
        return (await back).equals(data);
      }),
    );
    expect(results.filter(Boolean).length).toBe(n);
    await until('all done', () => p.server.openStreams === 0 && p.client.openStreams === 0);
  });

  it('refuses streams past maxStreams with REFUSED_STREAM, and takes new ones once others end', async () => {
    const p = await pair({ maxStreams: 4 }, (s) => s.reply());
    const streams = Array.from({ length: 6 }, () => p.client.open({}));
    const outcome = await Promise.all(
      streams.map((s) => Promise.race([once(s, 'reply').then(() => 'reply'), once(s, 'reset').then(([st]) => `reset ${st}`)])),
    );
    expect(outcome).toEqual(['reply', 'reply', 'reply', 'reply', `reset ${RstStatus.REFUSED_STREAM}`, `reset ${RstStatus.REFUSED_STREAM}`]);
    streams[0].reset();
    await until('server forgets stream 1', () => p.server.openStreams === 3);
    const again = p.client.open({});
    await once(again, 'reply');
  });

  it('closes with GOAWAY once the open streams are done', async () => {
    let serverStream: SpdyStream | undefined;
    const p = await pair({}, (s) => {
      serverStream = s;
      s.reply();
    });
    const s = p.client.open({});
    await once(s, 'reply');
    const goaway = once(p.server, 'goaway');
    p.client.close();
    expect(() => p.client.open({})).toThrow(/closing/);
    await goaway;
    // The stream still works both ways until both sides end it.
    const back = collect(s);
    s.end('last words');
    const got = await collect(serverStream!);
    expect(got.toString()).toBe('last words');
    serverStream!.end('ok');
    expect((await back).toString()).toBe('ok');
    expect(await p.clientClosed).toBeUndefined();
    expect(await p.serverClosed).toBeUndefined();
  });

  it('a peer that vanishes: streams are destroyed, the session closes with an error', async () => {
    let serverStream: SpdyStream | undefined;
    const p = await pair({}, (s) => {
      serverStream = s;
      s.reply();
    });
    const s = p.client.open({});
    await once(s, 'reply');
    const ended = collect(await until('server stream', () => serverStream));
    p.clientSocket.destroy();
    expect(await p.serverClosed).toBeInstanceOf(Error);
    await expect(ended).rejects.toThrow(/closed before its end/);
    expect(serverStream!.destroyed).toBe(true);
    expect(p.server.openStreams).toBe(0);
  });
});

// A hand-made client: raw frames in, frames read back.
async function raw(opts: Partial<SpdySessionOptions> = {}) {
  let session!: SpdySession;
  let serverSocket!: Socket;
  const streams: SpdyStream[] = [];
  const { port } = await listen((socket) => {
    serverSocket = socket;
    session = new SpdySession(socket, { server: true, ...opts });
    session.on('stream', (s: SpdyStream) => {
      streams.push(s);
      s.reply();
      s.resume();
    });
    cleanups.push(() => session.destroy());
  });
  const sock = await dial(port);
  const sessionReady = await until('session', () => session);
  const closed = new Promise<Error | undefined>((r) => sessionReady.once('close', r));
  const reader = new FrameReader();
  const frames: { type: number; payload: Buffer }[] = [];
  sock.on('data', (c: Buffer) => {
    reader.push(c);
    for (let ev = reader.next(); ev; ev = reader.next()) if (ev.kind === 'control') frames.push({ type: ev.frameType, payload: ev.payload });
  });
  const socketClosed = once(sock, 'close');
  sock.on('error', () => {});
  const deflater = new HeaderCompressor();
  cleanups.push(() => deflater.close());
  const syn = async (id: number, headers: Record<string, string> = {}, flags = 0) =>
    synStreamFrame(id, flags, await deflater.compress(encodeHeaderBlock(headers)));
  const rsts = () =>
    frames.filter((f) => f.type === FrameType.RST_STREAM).map((f) => parseControl(f.type, 0, f.payload) as { streamId: number; status: number });
  return { session: sessionReady, serverSocket, sock, closed, frames, syn, rsts, streams, socketClosed };
}

describe('SpdySession against bad input', () => {
  const control = (type: number, payload: Buffer, version = 3) => {
    const h = Buffer.alloc(8);
    h.writeUInt16BE(0x8000 | version, 0);
    h.writeUInt16BE(type, 2);
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };
  const synWith = (block: Buffer) => control(FrameType.SYN_STREAM, Buffer.concat([Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]), block]));
  const cases: [string, () => Buffer, RegExp][] = [
    ['random bytes', () => Buffer.concat([Buffer.from([0x80, 0x03, 0, 1, 0, 0, 0, 20]), randomBytes(20)]), /header block|SYN_STREAM/],
    ['SPDY/2', () => control(FrameType.PING, Buffer.alloc(4), 2), /version 2/],
    ['a control frame of 16 MiB', () => Buffer.from([0x80, 3, 0, 1, 0, 0xff, 0xff, 0xff]), /control frame of 16777215 bytes/],
    ['not zlib', () => synWith(Buffer.from('plain text, no zlib')), /header block/],
    ['a zlib bomb', () => synWith(deflateSync(Buffer.alloc(8 << 20), { dictionary: SPDY3_DICTIONARY })), /over 1048576 bytes/],
    ['PING of 3 bytes', () => control(FrameType.PING, Buffer.alloc(3)), /PING frame/],
    ['DATA on stream 0', () => dataFrame(0, false, Buffer.from('x')), /stream 0/],
  ];
  for (const [what, bytes, re] of cases) {
    it(`${what}: the session ends with a protocol error, the process carries on`, async () => {
      const r = await raw();
      r.sock.write(bytes());
      const err = await r.closed;
      expect(err).toBeInstanceOf(SpdyProtocolError);
      expect(err!.message).toMatch(re);
      await r.socketClosed;
      // It said why: GOAWAY PROTOCOL_ERROR.
      const goaway = r.frames.find((f) => f.type === FrameType.GOAWAY);
      expect(goaway?.payload.readUInt32BE(4)).toBe(1);
    });
  }

  it('a frame cut short by the end of the connection', async () => {
    const r = await raw();
    r.sock.end((await r.syn(1)).subarray(0, 12));
    expect((await r.closed)?.message).toMatch(/connection ended in a control frame/);
  });

  it('stream ids out of order are reset with PROTOCOL_ERROR, the session goes on', async () => {
    const r = await raw();
    r.sock.write(await r.syn(5));
    r.sock.write(await r.syn(3)); // lower than 5
    r.sock.write(await r.syn(8)); // even: the server's
    r.sock.write(await r.syn(7));
    await until('two resets', () => r.rsts().length === 2);
    expect(r.rsts()).toEqual([
      { type: 'rst_stream', streamId: 3, status: RstStatus.PROTOCOL_ERROR },
      { type: 'rst_stream', streamId: 8, status: RstStatus.PROTOCOL_ERROR },
    ]);
    await until('streams 5 and 7', () => r.streams.length === 2);
    expect(r.streams.map((s) => s.id)).toEqual([5, 7]);
    expect(r.session.isClosed).toBe(false);
  });

  it('DATA for a stream it does not know is dropped; unknown control frames are ignored', async () => {
    const r = await raw();
    r.sock.write(dataFrame(99, true, Buffer.from('nobody')));
    r.sock.write(control(42, Buffer.alloc(10)));
    r.sock.write(control(FrameType.WINDOW_UPDATE, Buffer.from([0, 0, 0, 0, 0, 1, 0, 0])));
    r.sock.write(await r.syn(1));
    await until('stream 1', () => r.streams.length === 1);
    expect(r.session.isClosed).toBe(false);
  });
});

describe('SpdySession against mangled conversations', () => {
  // A seeded PRNG, so that a failure replays.
  function prng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('200 valid conversations with bytes flipped, cut or repeated: each session ends, nothing throws', async () => {
    const rand = prng(15);
    for (let i = 0; i < 200; i++) {
      const r = await raw();
      const wire = Buffer.concat([
        await r.syn(1, { streamtype: 'stdin' }),
        dataFrame(1, false, Buffer.from('hello')),
        pingFrame(1),
        await r.syn(3, { streamtype: 'stdout', port: '80' }, 1),
        rstStreamFrame(1, RstStatus.CANCEL),
        windowUpdateFrame(3, 100),
        settingsFrame([{ flags: 0, id: 4, value: 10 }]),
        dataFrame(3, true, Buffer.alloc(100)),
        goAwayFrame(0, 0),
      ]);
      let bytes = Buffer.from(wire);
      const how = i % 3;
      if (how === 0) for (let k = 0; k < 1 + (i % 4); k++) bytes[Math.floor(rand() * bytes.length)] ^= 1 << Math.floor(rand() * 8);
      if (how === 1) bytes = bytes.subarray(0, Math.floor(rand() * bytes.length));
      if (how === 2) {
        const at = Math.floor(rand() * bytes.length);
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.floor(rand() * at)), randomBytes(Math.floor(rand() * 16))]);
      }
      r.sock.end(bytes);
      const err = await r.closed;
      if (err) expect(err).toBeInstanceOf(Error);
    }
  });
});

describe('backpressure', () => {
  it('a peer that sends PINGs and reads no answers: the answers do not pile up', async () => {
    const r = await raw();
    r.sock.removeAllListeners('data');
    r.sock.pause();
    const n = Math.floor((16 << 20) / 12);
    const pings = Buffer.concat(Array.from({ length: n }, (_, i) => pingFrame(2 * i + 1)));
    r.sock.write(pings);
    // The kernel's buffers fill first, then the server stops reading.
    let seen = 0;
    let changed = Date.now();
    await until('the server stops answering', () => {
      const queued = r.serverSocket.bytesWritten + r.serverSocket.writableLength;
      if (queued !== seen) [seen, changed] = [queued, Date.now()];
      return Date.now() - changed > 300;
    });
    await stays('what waits in the server socket stays under 2 MiB', () => r.serverSocket.writableLength < 2 << 20, 300);
    expect(r.session.isClosed).toBe(false);
    // Read again: every PING gets its answer.
    let answered = 0;
    const reader = new FrameReader();
    r.sock.on('data', (c: Buffer) => {
      reader.push(c);
      for (let ev = reader.next(); ev; ev = reader.next()) answered++;
    });
    r.sock.resume();
    await until('all answers', () => answered === n);
  });

  it('a reader that does not read holds the writer back: memory stays bounded', async () => {
    let serverStream: SpdyStream | undefined;
    const p = await pair({}, (s) => {
      serverStream = s;
      s.reply();
    });
    const s = p.client.open({});
    await once(s, 'reply');
    const total = 128 << 20;
    const chunk = Buffer.alloc(64 << 10, 7);
    let accepted = 0;
    const pump = async () => {
      while (accepted < total) {
        accepted += chunk.length;
        if (!s.write(chunk)) await once(s, 'drain');
      }
      s.end();
    };
    const writing = pump();
    const reader = await until('server stream', () => serverStream);
    // Nobody reads on the server: the writer stalls after the socket buffers
    // and a stream's high-water mark, far short of 128 MiB.
    let seen = 0;
    let changed = Date.now();
    await until('the writer stalls', () => {
      if (accepted !== seen) [seen, changed] = [accepted, Date.now()];
      return Date.now() - changed > 300;
    });
    const bound = 32 << 20;
    await stays('the writer stays stalled below 32 MiB', () => accepted < bound, 500);
    expect(reader.readableLength).toBeLessThanOrEqual(256 << 10);
    // Reading resumes everything.
    let got = 0;
    reader.on('data', (c: Buffer) => (got += c.length));
    await once(reader, 'end');
    await writing;
    expect(got).toBe(total);
  });
});
