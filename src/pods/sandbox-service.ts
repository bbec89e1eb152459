import type { Logger } from 'pino';
import { failedPrecondition, resourceExhausted } from '../domain/errors';
import { nowNanos } from '../domain/clock';
import { newId } from '../domain/ids';
import type { Ipam } from '../network/ipam';
import type { ObjectStore } from '../store/object-store';
import { type PodMetadata, type Sandbox, type StringMap, setSandboxState } from '../store/sandbox';
import type { ContainerService } from './container-service';
import type { PodEvents } from './events';

export interface RunSandboxInput {
  metadata: PodMetadata;
  labels: StringMap;
  annotations: StringMap;
  runtimeHandler: string;
  hostname: string;
  logDirectory: string;
  cgroupParent: string;
  hostNetwork: boolean;
  namespaceOptions: unknown;
  config: unknown;
}

// Memory is the limit: about 10 KiB of state each, with a container.
export const MAX_SANDBOXES = 100_000;

// Pod sandboxes: names, IPs and the READY → NOTREADY → removed life.
export class SandboxService {
  // containerd's reserved name: <name>_<namespace>_<uid>_<attempt>.
  private readonly names = new Map<string, string>();

  constructor(
    readonly store: ObjectStore<Sandbox>,
    private readonly containers: ContainerService,
    private readonly ipam: Ipam,
    private readonly events: PodEvents,
    private readonly log: Logger,
  ) {}

  // Rebuilds the indexes after the store has loaded.
  restore(): void {
    for (const s of this.store.values()) {
      this.names.set(sandboxName(s.metadata), s.id);
      if (s.ips) this.ipam.markUsed(s.ips);
    }
  }

  run(input: RunSandboxInput): Sandbox {
    if (this.store.size >= MAX_SANDBOXES) throw resourceExhausted(`pod sandboxes: there are already ${MAX_SANDBOXES}, the most fakecri holds`);
    const name = sandboxName(input.metadata);
    const owner = this.names.get(name);
    if (owner) throw failedPrecondition(`failed to reserve sandbox name "${name}": name "${name}" is reserved for "${owner}"`);
    const ips = input.hostNetwork ? null : this.ipam.allocate();
    const sandbox: Sandbox = {
      id: newId(),
      metadata: input.metadata,
      state: 'SANDBOX_READY',
      createdAt: nowNanos(),
      labels: input.labels,
      annotations: input.annotations,
      runtimeHandler: input.runtimeHandler,
      hostname: input.hostname,
      logDirectory: input.logDirectory,
      cgroupParent: input.cgroupParent,
      namespaceOptions: input.namespaceOptions,
      ips,
      config: input.config,
    };
    try {
      this.store.add(sandbox);
    } catch (err) {
      if (ips) this.ipam.release(ips);
      throw err;
    }
    this.names.set(name, sandbox.id);
    this.log.info({ sandbox: sandbox.id, pod: podRef(sandbox.metadata), ip: ips?.[0] ?? 'host' }, 'pod sandbox ready');
    this.events.sandbox('CREATED', sandbox);
    return sandbox;
  }

  // UpdatePodSandboxResources: records what the kubelet set on the pod
  // cgroup, as containerd records it in the sandbox's status (and CRI-O hands
  // it to NRI). Neither refuses a stopped sandbox; nor does fakecri.
  updateResources(idOrPrefix: string, overhead: unknown, resources: unknown): Sandbox {
    const sandbox = this.store.mustResolve(idOrPrefix);
    const updated = this.store.update(sandbox.id, (s) => {
      s.overhead = overhead;
      s.resources = resources;
    });
    this.log.info({ sandbox: sandbox.id, pod: podRef(sandbox.metadata), overhead, resources }, 'pod sandbox resources updated');
    return updated;
  }

  // Idempotent: an unknown or already stopped sandbox is success. Running
  // containers are killed, as CRI requires; the IP is kept until removal so
  // that PodSandboxStatus still reports it.
  async stop(idOrPrefix: string): Promise<void> {
    const sandbox = this.store.resolve(idOrPrefix);
    if (!sandbox) return;
    await this.containers.stopAllIn(sandbox.id);
    if (sandbox.state === 'SANDBOX_NOTREADY') return;
    const stopped = this.store.update(sandbox.id, (s) => setSandboxState(s, 'SANDBOX_NOTREADY'));
    this.events.sandbox('STOPPED', stopped);
    this.log.info({ sandbox: sandbox.id, pod: podRef(sandbox.metadata) }, 'pod sandbox stopped');
  }

  // Idempotent. Stops a ready sandbox first and removes all its containers.
  async remove(idOrPrefix: string): Promise<void> {
    const sandbox = this.store.resolve(idOrPrefix);
    if (!sandbox) return;
    await this.stop(sandbox.id);
    const gone = this.containers.removeAllIn(sandbox.id);
    this.store.remove(sandbox.id);
    this.names.delete(sandboxName(sandbox.metadata));
    if (sandbox.ips) this.ipam.release(sandbox.ips);
    this.log.info({ sandbox: sandbox.id, pod: podRef(sandbox.metadata) }, 'pod sandbox removed');
    this.events.sandbox('DELETED', sandbox);
    await gone;
  }
}

// Joined rather than concatenated: a map key kept per pod is then one flat
// string, not a tree of a dozen string pieces.
export const sandboxName = (m: PodMetadata): string => [m.name, m.namespace, m.uid, m.attempt].join('_');
export const podRef = (m: PodMetadata): string => `${m.namespace}/${m.name}`;
