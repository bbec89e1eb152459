import type { Duplex } from 'node:stream';
import type { PodEvents } from '../../pods/events';
import type { Sandbox } from '../../store/sandbox';
import { ConnectionDuplex } from '../net/duplex';
import { MemoryPodNetwork } from '../net/memory';
import type { PodNetwork } from '../net/types';

// One network per pod, made when a container first uses it and gone with
// the sandbox: its containers reach each other's listeners over loopback
// and the pod's IPs, as in a shared network namespace.
export class PodNetworks {
  private readonly nets = new Map<string, PodNetwork>();

  constructor(events: PodEvents) {
    events.onSandbox((e) => {
      if (e.type === 'DELETED') this.nets.delete(e.sandbox.id);
    });
  }

  of(sandbox: Sandbox): PodNetwork {
    let net = this.nets.get(sandbox.id);
    if (!net) this.nets.set(sandbox.id, (net = new MemoryPodNetwork(sandbox.ips ?? [], sandbox.hostname)));
    return net;
  }

  // port-forward: a connection from outside into the pod, to what listens
  // on 127.0.0.1:port there (as the runtime enters the pod's netns and
  // dials localhost). Rejects with NetError ECONNREFUSED when nothing does.
  async connect(sandbox: Sandbox, port: number): Promise<Duplex> {
    return new ConnectionDuplex(await this.of(sandbox).connect('127.0.0.1', port));
  }
}
