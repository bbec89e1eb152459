import { type Server, type Socket, connect, createServer } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { canListen, freePort, readAll } from '../../test/tcp';
import { stays, until } from '../../test/wait';
import { HostListener } from './host-listener';

// The pod's side of a connection: what the client sent reaches `got`
// (ending with its FIN), and `reply` goes back.
function podSide(reply: string): { duplex: Duplex; got: Promise<string> } {
  const toPod = new PassThrough();
  const fromPod = new PassThrough();
  let got = '';
  const ended = new Promise<string>((resolve) => {
    toPod.on('data', (d) => (got += d));
    toPod.on('end', () => resolve(got));
  });
  const duplex = Duplex.from({ writable: toPod, readable: fromPod });
  fromPod.end(reply);
  return { duplex, got: ended };
}

describe('HostListener', () => {
  const open: HostListener[] = [];
  const servers: Server[] = [];
  afterEach(() => {
    for (const l of open.splice(0)) l.close();
    for (const s of servers.splice(0)) s.close();
  });
  const listen = (port: number, dial: () => Promise<Duplex>, conns = new Set<Socket>(), failed: (e: NodeJS.ErrnoException) => void = () => {}) => {
    const l = new HostListener({ host: '127.0.0.1', port, dial, conns, failed });
    open.push(l);
    return l;
  };
  const connected = (port: number) =>
    until(`a listener on ${port}`, () => new Promise<Socket | undefined>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => resolve(s)).once('error', () => resolve(undefined));
    }));

  it('carries bytes both ways, each FIN passed on', async () => {
    const port = await freePort();
    const pod = podSide('from the pod\n');
    listen(port, async () => pod.duplex);
    const sock = await connected(port);
    const back = readAll(sock);
    sock.end('from the host\n');
    expect(await pod.got).toBe('from the host\n');
    expect(await back).toEqual({ data: 'from the pod\n', how: 'end' });
  });

  it('a refused dial resets the host connection', async () => {
    const port = await freePort();
    listen(port, () => Promise.reject(new Error('ECONNREFUSED')));
    await until('the port bound', async () => !(await canListen('127.0.0.1', port)));
    // The reset can beat the client's connect: either way, no byte and a reset.
    expect(await readAll(connect(port, '127.0.0.1'))).toEqual({ data: '', how: 'reset' });
  });

  it('a port in use is reported, not thrown; close() frees a bound port', async () => {
    const port = await freePort();
    const taken = createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen(port, '127.0.0.1', r));
    const errs: string[] = [];
    listen(port, () => Promise.reject(new Error('unused')), new Set(), (e) => errs.push(e.code ?? ''));
    await until('the bind failure', () => errs.length > 0);
    expect(errs).toEqual(['EADDRINUSE']);
    taken.close();
    await until('the port free', () => canListen('127.0.0.1', port));
    const l = listen(port, () => Promise.reject(new Error('unused')));
    await until('the port bound', async () => !(await canListen('127.0.0.1', port)));
    l.close();
    await until('the port free again', () => canListen('127.0.0.1', port));
  });

  it('a bad port is reported, not thrown', () => {
    const errs: string[] = [];
    listen(70000, () => Promise.reject(new Error('unused')), new Set(), (e) => errs.push(e.code ?? ''));
    expect(errs).toEqual(['ERR_SOCKET_BAD_PORT']);
  });

  it('closed before its bind completes, it does not stay bound', async () => {
    const port = await freePort();
    const l = listen(port, () => Promise.reject(new Error('unused')));
    l.close();
    // The bind happens a tick later; then the listener closes at once.
    await until('the port free', () => canListen('127.0.0.1', port));
    await stays('the port free', () => canListen('127.0.0.1', port), 200);
  });

  it('closing the listener leaves its connections open; they are in conns until they close', async () => {
    const port = await freePort();
    const conns = new Set<Socket>();
    const pod = podSide('');
    const l = listen(port, async () => pod.duplex, conns);
    const sock = await connected(port);
    await until('the connection accepted', () => conns.size === 1);
    l.close();
    const back = readAll(sock);
    sock.end('still here');
    expect(await pod.got).toBe('still here');
    expect((await back).how).toBe('end');
    await until('conns emptied', () => conns.size === 0);
  });
});
