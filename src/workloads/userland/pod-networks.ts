import type { Duplex } from 'node:stream';
import type { PodEvents } from '../../pods/events';
import type { Sandbox } from '../../store/sandbox';
import { ConnectionDuplex } from '../net/duplex';
import { MemoryPodNetwork } from '../net/memory';
import type { PodNetwork } from '../net/types';

// Told when a port of a pod starts and stops listening (network.publish).
export interface PodListenHooks {
  opened(sandbox: Sandbox, port: number): void;
  closed(sandbox: Sandbox, port: number): void;
}

// One network per pod, made when a container first uses it and gone with
// the sandbox: its containers reach each other's listeners over loopback
// and the pod's IPs, as in a shared network namespace.
export class PodNetworks {
  private readonly nets = new Map<string, PodNetwork>();

  constructor(
    events: PodEvents,
    private readonly hooks?: PodListenHooks,
  ) {
    events.onSandbox((e) => {
      if (e.type === 'DELETED') this.nets.delete(e.sandbox.id);
    });
  }

  of(sandbox: Sandbox): PodNetwork {
    let net = this.nets.get(sandbox.id);
    if (!net) {
      const h = this.hooks;
      const hooks = h && { opened: (port: number) => h.opened(sandbox, port), closed: (port: number) => h.closed(sandbox, port) };
      this.nets.set(sandbox.id, (net = new MemoryPodNetwork(sandbox.ips ?? [], sandbox.hostname, hooks)));
    }
    return net;
  }

  // port-forward: a connection from outside into the pod, to what listens
  // on 127.0.0.1:port there (as the runtime enters the pod's netns and
  // dials localhost); `host` dials one of the pod's IPs instead. Rejects
  // with NetError ECONNREFUSED when nothing listens.
  async connect(sandbox: Sandbox, port: number, host = '127.0.0.1'): Promise<Duplex> {
    return new ConnectionDuplex(await this.of(sandbox).connect(host, port));
  }
}
