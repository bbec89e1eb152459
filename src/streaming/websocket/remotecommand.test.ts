import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { until, stays } from '../../test/wait';
import { ChannelClient, startWsServer, type WsTestServer } from '../../test/websocket';
import { remoteCommandChannels, type RemoteCommandChannels, type RemoteCommandOpen } from './remotecommand';
import { REMOTE_COMMAND_PROTOCOLS } from './protocols';
import { SEND_HIGH_WATER } from './send';

interface ServerSide {
  ws: WebSocket;
  protocol: string;
  ch: RemoteCommandChannels;
  log: string[];
}

let server: WsTestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

// A server whose connections get remote command channels; `each` runs the "command".
async function serve(open: RemoteCommandOpen, each: (s: ServerSide) => void = () => {}, idleTimeoutMs?: number, maxPayload?: number) {
  const sides: ServerSide[] = [];
  server = await startWsServer(REMOTE_COMMAND_PROTOCOLS, (ws, protocol) => {
    const log: string[] = [];
    const ch = remoteCommandChannels(ws, protocol, open, { log: (m) => log.push(m), idleTimeoutMs });
    const side = { ws, protocol, ch, log };
    sides.push(side);
    each(side);
  }, { maxPayload });
  return { url: server.url, sides };
}

const all = { stdin: true, stdout: true, stderr: true };

// Echo: stdin upper-cased to stdout, each chunk's length to stderr; at EOF,
// or at a line "quit", a status on the error channel and done().
function echo({ ch }: ServerSide): void {
  const finish = () => {
    ch.error.write('{"status":"Success"}');
    ch.done();
  };
  ch.stdin!.on('data', (b: Buffer) => {
    ch.stdout!.write(b.toString().toUpperCase());
    ch.stderr!.write(`${b.length}\n`);
    if (b.toString().includes('quit\n')) finish();
  });
  ch.stdin!.on('end', finish);
}

describe('remote command channels', () => {
  const cases: [string[], string][] = [
    [[], ''],
    [['channel.k8s.io'], 'channel.k8s.io'],
    [['base64.channel.k8s.io'], 'base64.channel.k8s.io'],
    [['v4.channel.k8s.io'], 'v4.channel.k8s.io'],
    [['v4.base64.channel.k8s.io'], 'v4.base64.channel.k8s.io'],
    [['v5.channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v2.channel.k8s.io', 'v4.base64.channel.k8s.io', 'v4.channel.k8s.io'], 'v4.base64.channel.k8s.io'],
  ];
  it.each(cases)('offered %j: speaks %j, first an empty stdout message, then the data, then close 1000', async (offered, protocol) => {
    const { url, sides } = await serve(all, echo);
    const c = ChannelClient.connect(url, offered);
    await c.opened;
    expect(c.ws.protocol).toBe(protocol);
    c.send(0, 'hello\n');
    c.send(0, 'quit\n');
    const closed = await c.closed;
    expect(closed.code).toBe(1000);
    expect(sides[0].protocol).toBe(protocol);
    expect(c.received[0]).toMatchObject({ channel: 1, data: Buffer.alloc(0) });
    expect(c.text(1)).toBe('HELLO\nQUIT\n');
    expect(c.text(2)).toBe('6\n5\n');
    expect(c.text(3)).toBe('{"status":"Success"}');
    // base64 protocols send text frames, the others binary ones
    const base64 = protocol.includes('base64');
    expect(c.received.every((r) => r.binary === !base64)).toBe(true);
    expect(sides[0].log).toEqual([]);
  });

  it('refuses a protocol the kubelet does not know with 403', async () => {
    const { url, sides } = await serve(all, echo);
    const c = ChannelClient.connect(url, ['v3.channel.k8s.io']);
    await expect(c.opened).rejects.toThrow('HTTP 403');
    expect(sides).toHaveLength(0);
  });

  it('sends the first empty message on stderr without stdout, on the error channel without either', async () => {
    const first = async (open: RemoteCommandOpen) => {
      const { url } = await serve(open);
      const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
      await until('a message', () => c.received.length > 0);
      c.ws.close();
      await c.closed;
      await server!.close();
      server = undefined;
      return c.received[0];
    };
    expect(await first({ stdin: false, stdout: false, stderr: true })).toMatchObject({ channel: 2, data: Buffer.alloc(0) });
    expect(await first({ stdin: true, stdout: false, stderr: false })).toMatchObject({ channel: 3, data: Buffer.alloc(0) });
  });

  it('leaves out the streams not asked for and drops what the client sends on them', async () => {
    const { url, sides } = await serve({ stdin: false, stdout: true, stderr: false, resize: false });
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    await c.opened;
    const { ch, log } = await until('the server side', () => sides[0]);
    expect([ch.stdin, ch.stderr, ch.resize]).toEqual([undefined, undefined, undefined]);
    c.send(0, 'x');
    c.send(4, '{"Width":80,"Height":24}');
    c.send(1, 'to stdout?');
    await until('three drops', () => log.length === 3);
    expect(log).toEqual([
      'message for channel 0, which takes no input: dropped',
      'message for channel 4, which takes no input: dropped',
      'message for channel 1, which takes no input: dropped',
    ]);
    ch.stdout!.end('still here');
    ch.done();
    expect((await c.closed).code).toBe(1000);
    expect(c.text(1)).toBe('still here');
  });

  it('passes resize messages through as sent', async () => {
    const { url, sides } = await serve({ stdin: false, stdout: true, stderr: false, resize: true });
    const c = ChannelClient.connect(url, ['v5.channel.k8s.io']);
    await c.opened;
    const { ch } = await until('the server side', () => sides[0]);
    const sizes: string[] = [];
    ch.resize!.on('data', (b: Buffer) => sizes.push(b.toString()));
    c.send(4, '{"Width":80,"Height":24}');
    c.send(4, '{"Width":100,"Height":40}');
    await until('two sizes', () => sizes.length === 2);
    expect(sizes).toEqual(['{"Width":80,"Height":24}', '{"Width":100,"Height":40}']);
  });
});

describe('v5 CLOSE', () => {
  it('[255, 0] ends stdin; stdin sent afterwards is dropped; output goes on', async () => {
    const { url, sides } = await serve(all, echo);
    const c = ChannelClient.connect(url, ['v5.channel.k8s.io']);
    await c.opened;
    c.send(0, 'abc');
    c.raw(Buffer.from([255, 0]));
    c.send(0, 'late');
    expect((await c.closed).code).toBe(1000);
    expect(c.text(1)).toBe('ABC');
    expect(c.text(3)).toBe('{"status":"Success"}');
    await until('the late message is logged', () => sides[0].log.length > 0);
    expect(sides[0].log).toEqual(['message for channel 0 after its input ended: dropped']);
  });

  it('is an unknown channel under v4, not a close', async () => {
    const { url, sides } = await serve(all, echo);
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    await c.opened;
    c.raw(Buffer.from([255, 0]));
    c.send(0, 'quit\n');
    expect((await c.closed).code).toBe(1000);
    expect(c.text(1)).toBe('QUIT\n');
    expect(sides[0].log).toEqual(['message for channel 255, which does not exist: dropped']);
  });

  it.each([
    [[255], 'close signal must carry exactly one channel byte, got 0'],
    [[255, 0, 0], 'close signal must carry exactly one channel byte, got 2'],
    [[255, 9], 'close signal for channel 9, which does not exist'],
  ])('%j ends the connection (1000, as the kubelet), stdin sees EOF, the signal fires', async (bytes, why) => {
    const { url, sides } = await serve(all);
    const c = ChannelClient.connect(url, ['v5.channel.k8s.io']);
    await c.opened;
    const { ch, log } = await until('the server side', () => sides[0]);
    let ended = false;
    ch.stdin!.on('end', () => (ended = true)).resume();
    c.raw(Buffer.from(bytes));
    expect(await c.closed).toEqual({ code: 1000, reason: why });
    await until('stdin ends', () => ended);
    expect(ch.signal.aborted).toBe(true);
    expect(log).toEqual([`${why}: closing the connection`]);
  });
});

describe('malformed input', () => {
  it('drops unknown channels, bad base64 and empty messages, and goes on', async () => {
    const { url, sides } = await serve(all, echo);
    const c = ChannelClient.connect(url, ['base64.channel.k8s.io']);
    await c.opened;
    c.raw('7aGk=');
    c.raw('0not base64!');
    c.raw('0aGk');
    c.raw('');
    c.raw(':');
    c.raw('0cXVpdAo=');
    expect((await c.closed).code).toBe(1000);
    expect(c.text(1)).toBe('QUIT\n');
    expect(sides[0].log).toEqual([
      'message for channel 7, which does not exist: dropped',
      'message for channel 0 is not valid base64: dropped',
      'message for channel 0 is not valid base64: dropped',
      'empty message: dropped',
      'message for channel 10, which does not exist: dropped',
    ]);
  });

  it('takes a text frame under a binary protocol as bytes, as x/net/websocket does', async () => {
    const { url } = await serve(all, echo);
    const c = ChannelClient.connect(url, ['channel.k8s.io']);
    await c.opened;
    c.raw('\u0000quit\n', false);
    expect((await c.closed).code).toBe(1000);
    expect(c.text(1)).toBe('QUIT\n');
  });

  it('closes with 1009 on a message over the server maxPayload, without crashing', async () => {
    const { url, sides } = await serve(all, () => {}, undefined, 1024 * 1024);
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    await c.opened;
    c.raw(Buffer.alloc(1024 * 1024 + 1));
    expect((await c.closed).code).toBe(1009);
    await until('the signal', () => sides[0].ch.signal.aborted);
    expect(sides[0].log.some((m) => m.startsWith('websocket: '))).toBe(true);
  });
});

// Bytes 0..255 repeating, so order and completeness can be checked.
function pattern(offset: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (offset + i) & 0xff;
  return b;
}

describe('backpressure', () => {
  it('stops producing while the client does not read, then delivers everything in order', async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 96 * 1024 * 1024;
    let produced = 0;
    let done: Promise<void> | undefined;
    const { url, sides } = await serve({ stdin: false, stdout: true, stderr: false }, ({ ch }) => {
      const source = Readable.from(
        (function* () {
          while (produced < TOTAL) {
            yield pattern(produced, CHUNK);
            produced += CHUNK;
          }
        })(),
      );
      done = pipeline(source, ch.stdout!).then(() => ch.done());
    });
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    // The client does not read: TCP fills up, then the server must wait.
    c.ws.once('open', () => c.ws.pause());
    await c.opened;
    await until('the server waits on the socket', () => sides[0] && sides[0].ws.bufferedAmount > SEND_HIGH_WATER);
    // Kernel buffers on loopback hold a few MiB; far less than TOTAL.
    await stays('production stays bounded', () => produced < 32 * 1024 * 1024, 1000);
    let got = 0;
    let inOrder = true;
    // Count and check instead of recording, to keep memory low.
    c.ws.removeAllListeners('message');
    c.ws.on('message', (raw: Buffer) => {
      if (raw[0] !== 1 || raw.length === 1) return;
      const data = raw.subarray(1);
      if (!data.equals(pattern(got, data.length))) inOrder = false;
      got += data.length;
    });
    c.ws.resume();
    expect((await c.closed).code).toBe(1000);
    await done;
    expect(got).toBe(TOTAL);
    expect(inOrder).toBe(true);
  });

  it('stops reading the socket while stdin is not consumed, then delivers everything in order', async () => {
    const CHUNK = 64 * 1024;
    const TOTAL = 48 * 1024 * 1024;
    const { url, sides } = await serve({ stdin: true, stdout: false, stderr: false });
    const c = ChannelClient.connect(url, ['v5.channel.k8s.io']);
    await c.opened;
    const { ch } = await until('the server side', () => sides[0]);
    // The client sends as fast as its socket takes it, up to TOTAL, then CLOSEs stdin.
    let sent = 0;
    const pump = () => {
      while (sent < TOTAL && c.ws.bufferedAmount < 1024 * 1024) {
        c.send(0, pattern(sent, CHUNK));
        sent += CHUNK;
      }
      if (sent < TOTAL) setImmediate(pump);
      else c.raw(Buffer.from([255, 0]));
    };
    pump();
    // Nobody reads stdin: the server stops reading, the client's sends back up.
    await until('the client is held back', () => c.ws.bufferedAmount >= 1024 * 1024);
    await stays('the server holds little', () => ch.stdin!.readableLength <= 1024 * 1024, 1000);
    expect(sent).toBeLessThan(TOTAL);
    let got = 0;
    let inOrder = true;
    ch.stdin!.on('data', (data: Buffer) => {
      if (!data.equals(pattern(got, data.length))) inOrder = false;
      got += data.length;
    });
    await new Promise((resolve) => ch.stdin!.on('end', resolve));
    expect(got).toBe(TOTAL);
    expect(inOrder).toBe(true);
    ch.done();
    expect((await c.closed).code).toBe(1000);
  });
});

describe('the client goes away', () => {
  it.each(['terminate', 'close'] as const)('by %s mid-stream: stdin ends, output stops without an error event, the signal fires', async (how) => {
    let outcome: unknown;
    const { url, sides } = await serve({ stdin: true, stdout: true, stderr: true }, ({ ch }) => {
      const endless = new Readable({ read() { this.push(Buffer.alloc(16 * 1024, 120)); } });
      pipeline(endless, ch.stdout!).then(
        () => (outcome = 'finished'),
        (err: Error & { code?: string }) => (outcome = err.code),
      );
    });
    const c = ChannelClient.connect(url, ['v5.channel.k8s.io']);
    await until('output flows', () => c.received.length > 3);
    const { ch } = sides[0];
    let stdinEnded = false;
    ch.stdin!.on('end', () => (stdinEnded = true)).resume();
    if (how === 'terminate') c.ws.terminate();
    else c.ws.close(1000);
    await until('the pipeline stops', () => outcome);
    expect(outcome).toBe('ERR_STREAM_PREMATURE_CLOSE');
    await until('stdin ends', () => stdinEnded);
    expect(ch.signal.aborted).toBe(true);
    // Writing after the end neither throws nor emits 'error'.
    const errors: unknown[] = [];
    ch.stderr!.on('error', (e) => errors.push(e));
    let cbErr: unknown;
    ch.stderr!.write('too late', (e) => (cbErr = e ?? 'none'));
    await until('the write is answered', () => cbErr);
    expect(errors).toEqual([]);
  });

  it('is dropped when idle past the idle timeout', async () => {
    const { url, sides } = await serve(all, () => {}, 300);
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    await c.opened;
    expect((await c.closed).code).toBe(1006);
    await until('the signal', () => sides[0].ch.signal.aborted);
    expect(sides[0].log).toEqual(['idle for 300 ms: dropping the connection']);
  });
});
