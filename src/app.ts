import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config/config';
import { observeNanos } from './domain/clock';
import { ImageCatalog } from './images/catalog';
import { ImageService } from './images/image-service';
import { Ipam } from './network/ipam';
import { ContainerService } from './pods/container-service';
import { SandboxService } from './pods/sandbox-service';
import type { Container } from './store/container';
import { ImageStore, type ImageRecord } from './store/image-store';
import { ObjectStore } from './store/object-store';
import { RecordDir } from './store/persist';
import type { Sandbox } from './store/sandbox';

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

export interface DiskUsage {
  mountpoint: string;
  usedBytes: number;
  inodesUsed: number;
}

export interface ContainerUsage {
  cpuCoreNanoSeconds: bigint;
  cpuNanoCores: number;
  memoryWorkingSetBytes: number;
  writableLayer: DiskUsage;
}

// Everything one fakecri instance holds, loaded from and saved to stateDir.
// The edges (gRPC handlers, later the control API) get this object.
export class App {
  readonly sandboxes: SandboxService;
  readonly containers: ContainerService;
  readonly images: ImageService;
  readonly ipam: Ipam;
  readonly conditions: RuntimeConditions;
  private readonly settingsDir: RecordDir<RuntimeSettings>;
  private readonly imageFsDir: string;
  private readonly containerFsDir: string;

  constructor(
    readonly config: Config,
    readonly stateDir: string,
    readonly log: Logger,
  ) {
    // The kubelet statfs()es the mountpoints ImageFsInfo reports: they must exist.
    this.imageFsDir = join(stateDir, 'imagefs');
    this.containerFsDir = join(stateDir, 'containerfs');
    mkdirSync(this.imageFsDir, { recursive: true });
    mkdirSync(this.containerFsDir, { recursive: true });
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

    const catalog = new ImageCatalog({
      defaultMinSize: config.images.default_min_size,
      defaultMaxSize: config.images.default_max_size,
      sizes: config.images.sizes,
    });
    this.images = new ImageService(imageStore, catalog, config.runtime.sandbox_image, log);
    this.containers = new ContainerService(
      containerStore,
      sandboxStore,
      (ref) => this.images.find(ref),
      { startLogLine: config.runtime.start_log_line },
      log,
    );
    this.sandboxes = new SandboxService(sandboxStore, this.containers, this.ipam, log);
    this.containers.restore();
    this.sandboxes.restore();
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

  imageFsUsage(): DiskUsage {
    const layers = new Map<string, number>();
    for (const image of this.images.list()) for (const l of image.layers) layers.set(l.digest, l.size);
    let used = 0;
    for (const size of layers.values()) used += size;
    return { mountpoint: this.imageFsDir, usedBytes: used, inodesUsed: layers.size };
  }

  containerFsUsage(): DiskUsage {
    return { mountpoint: this.containerFsDir, usedBytes: 0, inodesUsed: 0 };
  }

  containerUsage(_c: Container): ContainerUsage {
    return {
      cpuCoreNanoSeconds: 0n,
      cpuNanoCores: 0,
      memoryWorkingSetBytes: 0,
      writableLayer: { mountpoint: this.containerFsDir, usedBytes: 0, inodesUsed: 0 },
    };
  }

  setPodCidr(podCidr: string): void {
    this.ipam.setPodCidr(podCidr);
    this.settingsDir.write('settings', { podCidr });
    this.log.info({ podCidr }, 'pod CIDR set');
  }
}
