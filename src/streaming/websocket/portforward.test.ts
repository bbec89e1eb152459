import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../../test/wait';
import { ChannelClient, startWsServer, type WsTestServer } from '../../test/websocket';
import { portForwardChannels, type PortForwardChannel } from './portforward';
import { PORT_FORWARD_PROTOCOLS } from './protocols';

let server: WsTestServer | undefined;
let tcp: Server | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  tcp?.close();
  tcp = undefined;
});

async function serve(ports: number[], each: (pairs: PortForwardChannel[]) => void = () => {}) {
  const conns: { pairs: PortForwardChannel[]; log: string[] }[] = [];
  server = await startWsServer(PORT_FORWARD_PROTOCOLS, (ws, protocol) => {
    const log: string[] = [];
    const pairs = portForwardChannels(ws, protocol, ports, { log: (m) => log.push(m) });
    conns.push({ pairs, log });
    each(pairs);
  });
  return { url: server.url, conns };
}

const le = (port: number) => Buffer.from([port & 0xff, port >> 8]);

describe('port-forward channels', () => {
  it.each([[[]], [['v4.channel.k8s.io']], [['v4.base64.channel.k8s.io']]])(
    'offered %j: each channel starts with its port (2 bytes, LE); data both ways; errors out; close 1000 when all pairs end',
    async (offered) => {
      const { url, conns } = await serve([80, 8080], (pairs) => {
        // port 80 echoes upper-cased, port 8080 fails
        const [a, b] = pairs;
        a.data.on('data', (d: Buffer) => {
          a.data.write(d.toString().toUpperCase());
          if (d.toString().endsWith('\n')) {
            a.data.end();
            a.error.end();
          }
        });
        b.error.end('error forwarding port 8080 to pod p: connection refused');
        b.data.end();
      });
      const c = ChannelClient.connect(url, offered);
      await c.opened;
      c.send(0, 'hello\n');
      expect((await c.closed).code).toBe(1000);
      expect(c.received.slice(0, 4).map((r) => [r.channel, r.data])).toEqual([
        [0, le(80)],
        [1, le(80)],
        [2, le(8080)],
        [3, le(8080)],
      ]);
      expect(c.bytes(0).subarray(2).toString()).toBe('HELLO\n');
      expect(c.bytes(2)).toEqual(le(8080));
      expect(c.bytes(3).subarray(2).toString()).toBe('error forwarding port 8080 to pod p: connection refused');
      expect(conns[0].log).toEqual([]);
    },
  );

  it('refuses v5 and the exec-only v1 names with 403', async () => {
    const { url } = await serve([80]);
    for (const p of ['v5.channel.k8s.io', 'channel.k8s.io', 'base64.channel.k8s.io']) {
      await expect(ChannelClient.connect(url, [p]).opened).rejects.toThrow('HTTP 403');
    }
  });

  it('closes at once with no ports, as the kubelet does', async () => {
    const { url } = await serve([]);
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    expect((await c.closed).code).toBe(1000);
    expect(c.received).toEqual([]);
  });

  it('drops what the client sends on an error channel or past the last channel', async () => {
    const { url, conns } = await serve([80]);
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    await c.opened;
    c.send(1, 'x');
    c.send(2, 'y');
    await until('two drops', () => conns[0]?.log.length === 2);
    expect(conns[0].log).toEqual([
      'message for channel 1, which takes no input: dropped',
      'message for channel 2, which does not exist: dropped',
    ]);
  });

  it('forwards to a real TCP server, and the pair ends cleanly when the client vanishes', async () => {
    tcp = createServer((s) => s.pipe(s)); // echo
    await new Promise<void>((r) => tcp!.listen(0, '127.0.0.1', r));
    const echoPort = (tcp.address() as AddressInfo).port;
    let outcome: unknown;
    const { url } = await serve([echoPort], ([p]) => {
      const sock = connect(echoPort, '127.0.0.1');
      pipeline(p.data, sock, p.data).then(
        () => (outcome = 'done'),
        (e: Error & { code?: string }) => (outcome = e.code ?? e.message),
      );
    });
    const c = ChannelClient.connect(url, ['v4.channel.k8s.io']);
    await c.opened;
    const big = Buffer.alloc(3 * 1024 * 1024, 'z');
    c.send(0, big);
    await until('the echo', () => c.bytes(0).length === 2 + big.length);
    expect(c.bytes(0).equals(Buffer.concat([le(echoPort), big]))).toBe(true);
    c.ws.terminate();
    await until('the forward ends', () => outcome);
    // data's input ended (EOF to the pod), its output was cut: a premature close, no crash
    expect(outcome).toBe('ERR_STREAM_PREMATURE_CLOSE');
  });

  it('refuses bad ports and protocols given by the caller', async () => {
    const { WebSocket } = await import('ws');
    const ws = {} as InstanceType<typeof WebSocket>;
    expect(() => portForwardChannels(ws, 'v5.channel.k8s.io', [80])).toThrow('not a port-forward protocol: v5.channel.k8s.io');
    expect(() => portForwardChannels(ws, '', [0])).toThrow('not a port: 0');
    expect(() => portForwardChannels(ws, '', [65536])).toThrow('not a port: 65536');
  });
});
