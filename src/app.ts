import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/config';
import { observeNanos } from './domain/clock';
import { ImageCatalog } from './images/catalog';
import { ImageService } from './images/image-service';
import { Ipam } from './network/ipam';
import { CallRecorder } from './calls/recorder';
import { CheckpointImageArchives } from './checkpoint/image-archives';
import { CheckpointService } from './checkpoint/service';
import { FaultEngine } from './faults/engine';
import { Metrics } from './metrics/metrics';
import { ContainerService, containerName } from './pods/container-service';
import { PodEvents } from './pods/events';
import { ExecScripts } from './workloads/exec-scripts';
import { WorkloadRunner } from './workloads/runner';
import { Programs } from './workloads/programs';
import { PodNetworks } from './workloads/userland/pod-networks';
import { HostPublisher } from './workloads/net/host-publish';
import { commandNames, commands } from './workloads/userland/commands';
import { answerLeaving } from './workloads/userland/scheduler';
import { imageFiles, imagePrograms } from './workloads/userland/image-program';
import { SandboxService } from './pods/sandbox-service';
import { RegistryImageSource } from './oci/image-source';
import { registryOptions } from './oci/setup';
import type { LinuxSeccomp } from './seccomp/profile';
import type { SeccompResolver } from './seccomp/resolver';
import { createSeccompResolver } from './seccomp/setup';
import type { Container } from './store/container';
import { ImageStore, type ImageRecord } from './store/image-store';
import { ObjectStore } from './store/object-store';
import { RecordDir, StateFileError } from './store/persist';
import type { ObjectSize } from './vfs/filesystem';
import { Ballast, type BallastRecord, type Filesystems, layerKey, openFilesystems, writableLayerKey } from './vfs/filesystems';
import type { Sandbox } from './store/sandbox';
import { RootfsStore } from './workloads/rootfs/store';
import { containerUser } from './workloads/rootfs/identity';
import { StreamService } from './streams/service';
import { type ContainerUsage, type DiskUsage, StatsModel } from './stats/model';

// What the kubelet set through UpdateRuntimeConfig; survives restarts.
interface RuntimeSettings {
  podCidr: string;
}

export interface RuntimeConditions {
  runtimeReady: boolean;
  networkReady: boolean;
  runtimeReason: string;
  runtimeMessage: string;
  networkReason: string;
  networkMessage: string;
}

export type { ContainerUsage, DiskUsage, SandboxUsage } from './stats/model';

// Everything one fakecri instance holds, loaded from and saved to stateDir.
// The edges (gRPC handlers, later the control API) get this object.
export class App {
  readonly sandboxes: SandboxService;
  readonly containers: ContainerService;
  readonly images: ImageService;
  readonly ipam: Ipam;
  readonly conditions: RuntimeConditions;
  private readonly settingsDir: RecordDir<RuntimeSettings>;
  readonly fs: Filesystems;
  readonly events = new PodEvents();
  readonly faults: FaultEngine;
  readonly calls = new CallRecorder();
  readonly workloads: WorkloadRunner;
  readonly execScripts = new ExecScripts();
  readonly ballast: Ballast;
  readonly seccomp: SeccompResolver;
  // The containers' files: writable layers, image trees, mounts.
  readonly rootfs: RootfsStore;
  readonly metrics: Metrics;
  // Exec, Attach and PortForward sessions: their tokens and what they reach.
  readonly streams: StreamService;
  // CheckpointContainer's archives, and containers restored from them.
  readonly checkpoints: CheckpointService;
  // CPU, memory and disk figures of containers and pods (the stats RPCs).
  readonly stats: StatsModel;
  private readonly publisher?: HostPublisher;

  // rpcNames: every RPC of the CRI, for checking fault rules.
  constructor(
    readonly config: Config,
    readonly stateDir: string,
    readonly log: Logger,
    rpcNames: readonly string[] = [],
  ) {
    this.settingsDir = new RecordDir<RuntimeSettings>(join(stateDir, 'runtime'), 'runtime-settings');
    const settings = this.settingsDir.read('settings');
    this.ipam = new Ipam(settings?.podCidr ?? config.network.default_pod_cidr);

    const imageStore = new ImageStore(new RecordDir<ImageRecord>(join(stateDir, 'images'), 'image'));
    const sandboxStore = new ObjectStore<Sandbox>(new RecordDir(join(stateDir, 'sandboxes'), 'sandbox'), 'pod sandbox');
    const containerStore = new ObjectStore<Container>(new RecordDir(join(stateDir, 'containers'), 'container'), 'container');
    const images = imageStore.load();
    const sandboxes = sandboxStore.load();
    const containers = containerStore.load();
    for (const o of [...images, ...sandboxes, ...containers]) observeNanos(o.createdAt);

    this.fs = openFilesystems(config, stateDir);
    this.ballast = new Ballast(this.fs, new RecordDir<BallastRecord>(join(stateDir, 'vfs'), 'ballast'));
    this.rootfs = new RootfsStore({
      containerfs: this.fs.containerfs,
      stateDir,
      container: (id) => containerStore.get(id),
      sandbox: (id) => sandboxStore.get(id),
      image: (id) => imageStore.get(id),
      imageFiles: (image) => ({ applets: commandNames, programs: imagePrograms(image), files: { ...imageFiles(image), ...image?.config?.files } }),
      procs: (id) => this.workloads.programs.procs(id),
      log,
    });
    const layers = this.rootfs.measure(containers);
    // A kill -9 between a layer's write and its record's leaves the record
    // behind: what the layer holds is the truth, and the record follows it.
    for (const c of containers) {
      const bytes = layers.objects.get(writableLayerKey(c.id))?.bytes;
      if (bytes !== undefined && bytes !== (c.rootfsBytes ?? 0)) containerStore.update(c.id, (r) => (r.rootfsBytes = bytes));
    }
    restoreFilesystems(this.fs, this.ballast, images, layers);

    const catalog = new ImageCatalog({
      defaultMinSize: config.images.default_min_size,
      defaultMaxSize: config.images.default_max_size,
      sizes: config.images.sizes,
      entries: config.images.catalog,
      baseLayerSize: config.images.base_layer_size,
    });
    this.faults = new FaultEngine(rpcNames);
    for (const rule of config.faults) this.faults.add(rule, 'config');
    const registry = registryOptions(config);
    const checkpointImages = new CheckpointImageArchives(join(stateDir, 'checkpoint-images'));
    this.images = new ImageService(
      imageStore,
      catalog,
      this.fs.imagefs,
      {
        sandboxImage: config.runtime.sandbox_image,
        pullBandwidth: (image) => this.faults.pullBandwidth(image) ?? config.images.pull_bandwidth,
        bytesPerInode: config.images.bytes_per_inode,
        remote: config.registries.pull_from.length ? new RegistryImageSource(config.registries.pull_from, registry) : undefined,
        keepCheckpoint: (id, archive) => checkpointImages.keep(id, archive),
        dropCheckpoint: (path) => checkpointImages.drop(path),
      },
      log,
    );
    this.seccomp = createSeccompResolver(config, stateDir, registry, log);
    this.containers = new ContainerService(
      containerStore,
      sandboxStore,
      (ref) => this.images.find(ref),
      this.rootfs,
      this.events,
      {
        startLogLine: config.runtime.start_log_line,
        stopPlan: (c) => this.workloads.stopPlan(c),
        checkStart: (c) => this.workloads.checkStart(c),
        stopProgram: (c, timeoutMs) => this.workloads.stopProgram(c, timeoutMs),
        seccomp: this.seccomp,
        user: (config, imageId) => containerUser(this.rootfs.imageView(imageId, { uid: 0, gid: 0, groups: [], pid: 0 }), config, this.images.find(imageId)?.user),
        imageHasDir: (id, path) => this.rootfs.imageHasDir(id, path),
      },
      log,
    );
    this.sandboxes = new SandboxService(sandboxStore, this.containers, this.ipam, this.events, log);
    this.checkpoints = new CheckpointService({
      container: (id) => containerStore.resolve(id),
      sandbox: (id) => sandboxStore.get(id),
      image: (ref) => this.images.find(ref),
      containerName: (c) => {
        const s = sandboxStore.get(c.sandboxId);
        return s ? containerName(c.metadata, s) : c.metadata.name;
      },
      upper: (id) => this.rootfs.layer(id).backend(false),
      root: (id) => this.rootfs.get(id).root(),
      create: (input) => this.containers.create(input),
      remove: (id) => this.containers.remove(id),
      log,
    });
    // network.publish: the pods' ports on the host, bridged into their networks.
    this.publisher = config.network.publish ? new HostPublisher((s, host, port) => networks.connect(s, port, host), log) : undefined;
    this.publisher?.follow(this.events);
    const networks = new PodNetworks(this.events, this.publisher);
    const programs = new Programs({
      container: (id) => containerStore.get(id),
      sandbox: (id) => sandboxStore.get(id),
      image: (id) => imageStore.get(id),
      rootfs: this.rootfs,
      applets: commands,
      net: (s) => networks.of(s),
      exited: (id, status, reason) => {
        if (containerStore.get(id)?.state === 'CONTAINER_RUNNING') this.containers.exit(id, status, reason);
      },
      log,
    });
    this.streams = new StreamService(containerStore, sandboxStore, {
      execStream: (c, argv, io) => programs.execStream(c, argv, io),
      attach: (c, io) => programs.attach(c, io),
      connect: (s, port) => networks.connect(s, port),
    });
    this.workloads = new WorkloadRunner(this.containers, sandboxStore, (image) => catalog.behaviourFor(image), programs, this.events, log);
    this.stats = new StatsModel({
      cpuMemory: (c, nowMs, out) => this.workloads.usage(c, config.workloads, nowMs, out),
      liveCpuMemory: (c) => this.workloads.liveUsage(c, config.workloads),
      layer: (id) => this.rootfs.account(id),
      containerfsMountpoint: this.fs.containerfs.mountpoint,
      inSandbox: (id) => this.containers.inSandbox(id),
    });
    this.containers.restore();
    this.sandboxes.restore();
    // Containers that resolved the same profile share it in memory again.
    for (const c of containers) if (c.seccomp?.spec) c.seccomp.spec = this.seccomp.intern(c.seccomp.spec as LinuxSeccomp);
    this.events.onContainer((e) => {
      if (e.type === 'DELETED') this.execScripts.removeFor(e.container.id);
    });
    // Pods with failpoint annotations are watched by the fault engine.
    this.events.onSandbox((e) => {
      if (e.type === 'CREATED') this.faults.watchPod(e.sandbox.metadata.uid, e.sandbox.annotations);
      if (e.type === 'DELETED') {
        this.faults.forgetPod(e.sandbox.metadata.uid);
        this.rootfs.removeSandbox(e.sandbox.id);
      }
    });
    for (const s of sandboxes) {
      try {
        this.faults.watchPod(s.metadata.uid, s.annotations);
      } catch (err) {
        log.warn({ sandbox: s.id, err: (err as Error).message }, 'ignoring a bad failpoint annotation');
      }
    }
    this.metrics = new Metrics({
      objects: () => this.objectCounts(),
      filesystems: () =>
        (['imagefs', 'containerfs'] as const).map((name) => {
          const fs = this.fs[name];
          return { name, backend: fs.backend, mountpoint: fs.mountpoint, ballastBytes: this.ballast.sizes[name], ...fs.usage(), ...fs.capacity() };
        }),
      faultAction: (rule) => (rule.startsWith('failpoint.') ? 'failpoint' : (this.faults.get(rule)?.action.type ?? 'removed')),
    });
    this.calls.follow((call) => this.metrics.observe(call));
    this.conditions = {
      runtimeReady: config.status.runtime_ready,
      networkReady: config.status.network_ready,
      runtimeReason: config.status.runtime_ready ? '' : 'ConfiguredNotReady',
      runtimeMessage: config.status.runtime_ready ? '' : 'status.runtime_ready is false in the config',
      networkReason: config.status.network_ready ? '' : 'ConfiguredNotReady',
      networkMessage: config.status.network_ready ? '' : 'status.network_ready is false in the config',
    };
    log.info(
      { stateDir, images: images.length, sandboxes: sandboxes.length, containers: containers.length },
      'state loaded',
    );
  }

  // Ballast from the config is set afresh at every start: drained, then filled.
  async applyConfiguredBallast(): Promise<void> {
    for (const name of ['imagefs', 'containerfs'] as const) {
      const spec = this.config.filesystems[name]?.ballast;
      if (!spec || (name === 'containerfs' && this.fs.shared)) continue;
      this.ballast.drain(name);
      const bytes = await this.ballast.fill(name, spec);
      this.log.info({ fs: name, bytes }, 'ballast filled');
    }
  }

  // RemoveImage, as containerd: the image goes, but the containers that run
  // it or mount it (image volumes) keep its files, as their snapshots do.
  async removeImage(ref: string): Promise<void> {
    const image = this.images.find(ref);
    if (image && this.containers.usesImage(image.id)) this.rootfs.imageTree(image.id);
    await this.images.remove(ref);
  }

  imageFsUsage(): DiskUsage {
    return { mountpoint: this.fs.imagefs.mountpoint, ...this.fs.imagefs.usage() };
  }

  containerFsUsage(): DiskUsage {
    return { mountpoint: this.fs.containerfs.mountpoint, ...this.fs.containerfs.usage() };
  }

  // Starts what runs by itself: behaviours of containers that were running.
  start(): void {
    this.publisher?.restore(this.sandboxes.store.values());
    this.workloads.restore();
  }

  // An RPC was answered in this turn of the event loop: the containers'
  // next slice is short, so that the answer's end is not held back by it.
  rpcAnswered(): void {
    answerLeaving();
  }

  stop(): void {
    this.workloads.stop();
    this.publisher?.close();
    this.rootfs.close();
  }

  // The Status conditions: the configured ones, and-ed with fault rules.
  runtimeConditions(): { type: string; status: boolean; reason: string; message: string }[] {
    const overrides = this.faults.conditionOverrides();
    const c = this.conditions;
    return [
      { type: 'RuntimeReady', status: c.runtimeReady, reason: c.runtimeReason, message: c.runtimeMessage },
      { type: 'NetworkReady', status: c.networkReady, reason: c.networkReason, message: c.networkMessage },
    ].map((cond) => {
      const o = overrides.get(cond.type);
      return o ? { type: cond.type, status: false, ...o } : cond;
    });
  }

  // Objects by kind and state, for the metrics.
  objectCounts(): { kind: string; state: string; count: number }[] {
    const counts = new Map<string, number>();
    const add = (kind: string, state: string) => counts.set(`${kind} ${state}`, (counts.get(`${kind} ${state}`) ?? 0) + 1);
    for (const s of this.sandboxes.store.values()) add('sandbox', s.state.replace('SANDBOX_', '').toLowerCase());
    for (const c of this.containers.store.values()) add('container', c.state.replace('CONTAINER_', '').toLowerCase());
    for (const i of this.images.list()) add('image', this.images.isPinned(i) ? 'pinned' : 'unpinned');
    return [...counts].map(([key, count]) => {
      const [kind, state] = key.split(' ');
      return { kind, state, count };
    });
  }

  containerUsage(c: Container): ContainerUsage {
    return this.stats.container(c);
  }

  setPodCidr(podCidr: string): void {
    this.ipam.setPodCidr(podCidr);
    this.settingsDir.write('settings', { podCidr });
    this.log.info({ podCidr }, 'pod CIDR set');
  }
}

// The objects the state says each filesystem holds; the backends check them
// against the disk. A missing or short file stops start-up by name. The
// writable layers are directory trees, measured from what is there.
function restoreFilesystems(
  fs: Filesystems,
  ballast: Ballast,
  images: ImageRecord[],
  layers: { objects: Map<string, ObjectSize>; trees: Set<string> },
): void {
  const imageObjects = new Map<string, ObjectSize>();
  for (const image of images) for (const l of image.layers) imageObjects.set(layerKey(l.digest), { bytes: l.size, inodes: l.inodes ?? 1 });
  const containerObjects = new Map(layers.objects);
  const imageBallast = ballast.expected('imagefs');
  const containerBallast = ballast.expected('containerfs');
  if (imageBallast) imageObjects.set(...imageBallast);
  if (containerBallast) containerObjects.set(...containerBallast);
  const problems = fs.shared
    ? fs.imagefs.restore(new Map([...imageObjects, ...containerObjects]), layers.trees)
    : [...fs.imagefs.restore(imageObjects), ...fs.containerfs.restore(containerObjects, layers.trees)];
  if (problems.length) {
    throw new StateFileError(`the filesystems do not match the state: ${problems.join('; ')}`);
  }
}
