import type { Duplex } from 'node:stream';
import { FakecriError, failedPrecondition, notFound } from '../domain/errors';
import type { Container } from '../store/container';
import type { ObjectStore } from '../store/object-store';
import type { Sandbox } from '../store/sandbox';
import type { StreamIo } from '../workloads/userland/stream-io';
import { StreamRequests } from './requests';

// What the streaming server does with a request once its client has
// connected: exec and attach in a container's userland, port-forward into
// a pod's network. The CRI's Exec, Attach and PortForward hand out tokens
// for these (requests.ts); the streaming edge redeems them.

export type { StreamIo };

export interface StreamTargets {
  execStream(c: Container, argv: readonly string[], io: StreamIo): Promise<number>;
  attach(c: Container, io: StreamIo): Promise<void>;
  connect(sandbox: Sandbox, port: number): Promise<Duplex>;
}

export class StreamService {
  readonly requests = new StreamRequests();
  // Where the streaming server listens ("http://127.0.0.1:43125"), once it does.
  baseUrl?: string;

  constructor(
    private readonly containers: ObjectStore<Container>,
    private readonly sandboxes: ObjectStore<Sandbox>,
    private readonly targets: StreamTargets,
  ) {}

  url(kind: 'exec' | 'attach' | 'portforward', token: string): string {
    if (!this.baseUrl) throw new FakecriError('UNAVAILABLE', 'the streaming server is not running');
    return `${this.baseUrl}/${kind}/${token}`;
  }

  // The container an Exec or Attach names, running; containerd's words.
  runningContainer(id: string): Container {
    const c = this.containers.get(id);
    if (!c) throw notFound(`container "${id}" not found`);
    if (c.state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container is in ${c.state} state`);
    return c;
  }

  readySandbox(id: string): Sandbox {
    const s = this.sandboxes.get(id);
    if (!s) throw notFound(`pod sandbox "${id}" not found`);
    if (s.state !== 'SANDBOX_READY') throw failedPrecondition('sandbox container is not running');
    return s;
  }

  // The command's exit code.
  exec(containerId: string, cmd: readonly string[], io: StreamIo): Promise<number> {
    return this.targets.execStream(this.runningContainer(containerId), cmd, io);
  }

  attach(containerId: string, io: StreamIo): Promise<void> {
    return this.targets.attach(this.runningContainer(containerId), io);
  }

  // A connection to what listens on the port in the pod, as containerd
  // dials localhost:port inside the pod's network namespace.
  async portForward(sandboxId: string, port: number): Promise<Duplex> {
    const s = this.readySandbox(sandboxId);
    try {
      return await this.targets.connect(s, port);
    } catch (err) {
      const why = (err as { code?: string }).code === 'ECONNREFUSED' ? 'connect: connection refused' : (err as Error).message;
      const ips = `[${['127.0.0.1', ...(s.ips ?? [])].join(' ')}]`;
      throw new FakecriError(
        'UNKNOWN',
        `failed to execute portforward in network namespace "/var/run/netns/cni-${s.id.slice(0, 12)}": failed to connect to localhost:${port} inside namespace "${s.id}", IP: ${ips}: dial tcp 127.0.0.1:${port}: ${why}`,
      );
    }
  }
}
