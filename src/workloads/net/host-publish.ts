import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { PodEvents } from '../../pods/events';
import type { Sandbox } from '../../store/sandbox';
import { HostListener } from './host-listener';
import { hostPorts } from './port-mappings';

// network.publish: pods reachable from the host, as they are on a node.
// - A host-network pod's listener also listens on the host, on 0.0.0.0 (the
//   program binds the wildcard address on a real node; fakecri's listeners
//   have no address of their own).
// - A pod whose IP is a loopback address (a pod CIDR in 127.0.0.0/8, routed
//   to lo by Linux with no setup) gets each listener mirrored on podIP:port.
// - A port mapping with a host_port listens on host_ip (or 0.0.0.0) from
//   RunPodSandbox to StopPodSandbox, forwarding to container_port.
// A failed bind is logged; the pod's listener works in memory regardless.

type Dial = (sandbox: Sandbox, host: string, port: number) => Promise<Duplex>;

interface Published {
  // Mirrors of the pod's listeners, by "host port".
  mirrors: Map<string, HostListener>;
  mappings: HostListener[];
  // Bridged connections of both, dropped with the pod.
  conns: Set<Socket>;
}

const isLoopback4 = (ip: string) => /^127\.\d+\.\d+\.\d+$/.test(ip);

export class HostPublisher {
  private readonly pods = new Map<string, Published>();
  // Stopped sandboxes publish nothing more, whatever still listens.
  private readonly stopped = new Set<string>();

  constructor(
    private readonly dial: Dial,
    private readonly log: Logger,
  ) {}

  // Port mappings from RunPodSandbox to StopPodSandbox.
  follow(events: PodEvents): void {
    events.onSandbox((e) => {
      if (e.type === 'CREATED') this.publishPorts(e.sandbox);
      else {
        this.unpublish(e.sandbox.id);
        if (e.type === 'STOPPED') this.stopped.add(e.sandbox.id);
        else this.stopped.delete(e.sandbox.id);
      }
    });
  }

  // After a restart: the ready sandboxes' port mappings again.
  restore(sandboxes: Iterable<Sandbox>): void {
    for (const s of sandboxes) {
      if (s.state === 'SANDBOX_READY') this.publishPorts(s);
      else this.stopped.add(s.id);
    }
  }

  opened(sandbox: Sandbox, port: number): void {
    if (this.stopped.has(sandbox.id)) return;
    const pod = this.pod(sandbox.id);
    for (const host of mirrorHosts(sandbox)) {
      const key = `${host} ${port}`;
      pod.mirrors.get(key)?.close();
      // A host-network pod's listener is dialed as its own loopback.
      const target = sandbox.ips === null ? '127.0.0.1' : host;
      pod.mirrors.set(key, this.listen(sandbox, pod, host, port, () => this.dial(sandbox, target, port)));
    }
  }

  closed(sandbox: Sandbox, port: number): void {
    const pod = this.pods.get(sandbox.id);
    if (!pod) return;
    for (const host of mirrorHosts(sandbox)) {
      const key = `${host} ${port}`;
      pod.mirrors.get(key)?.close();
      pod.mirrors.delete(key);
    }
  }

  // Everything, at shutdown.
  close(): void {
    for (const id of [...this.pods.keys()]) this.unpublish(id);
  }

  private publishPorts(sandbox: Sandbox): void {
    const ports = hostPorts(sandbox);
    if (!ports.length) return;
    const pod = this.pod(sandbox.id);
    const podIp = sandbox.ips?.[0] ?? '127.0.0.1';
    for (const p of ports) {
      pod.mappings.push(this.listen(sandbox, pod, p.hostIp, p.hostPort, () => this.dial(sandbox, podIp, p.containerPort)));
    }
  }

  private unpublish(id: string): void {
    const pod = this.pods.get(id);
    if (!pod) return;
    this.pods.delete(id);
    for (const l of [...pod.mirrors.values(), ...pod.mappings]) l.close();
    for (const c of pod.conns) c.destroy();
  }

  private pod(id: string): Published {
    let pod = this.pods.get(id);
    if (!pod) this.pods.set(id, (pod = { mirrors: new Map(), mappings: [], conns: new Set() }));
    return pod;
  }

  private listen(sandbox: Sandbox, pod: Published, host: string, port: number, dial: () => Promise<Duplex>): HostListener {
    return new HostListener({
      host,
      port,
      dial,
      conns: pod.conns,
      failed: (err) =>
        this.log.warn({ sandbox: sandbox.id, address: `${host}:${port}`, err: err.code ?? err.message }, 'cannot publish a pod port on the host; it stays reachable in the pod only'),
    });
  }
}

// Where a pod's listener is published: the host's addresses for a
// host-network pod, its loopback IPs otherwise (others are not the host's).
function mirrorHosts(sandbox: Sandbox): string[] {
  return sandbox.ips === null ? ['0.0.0.0'] : sandbox.ips.filter(isLoopback4);
}
