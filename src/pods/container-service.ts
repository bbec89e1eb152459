import { join } from 'node:path';
import type { Logger } from 'pino';
import { FakecriError, failedPrecondition, fromSystemError, invalidArgument, isSystemError, notFound, resourceExhausted } from '../domain/errors';
import { isContainedRelative } from '../domain/safe-files';
import { sleep } from '../domain/sleep';
import { nowNanos } from '../domain/clock';
import { newId } from '../domain/ids';
import { appendLog, createLogFile, formatLogLine } from '../logs/cri-log';
import type { ImageRecord } from '../store/image-store';
import type { ObjectStore } from '../store/object-store';
import { type Container, type RestoredFrom, setContainerState, stateWord } from '../store/container';
import type { Sandbox, StringMap } from '../store/sandbox';
import type { ObjectSize, WriteOptions } from '../vfs/filesystem';
import type { PodEvents } from './events';
import type { SeccompRequest, SeccompSetup } from './seccomp-hook';

export interface CreateContainerInput {
  sandboxId: string;
  // The pod the kubelet thinks it is creating into (sandbox_config.metadata).
  podUid: string;
  metadata: { name: string; attempt: number };
  image: Container['image'];
  labels: StringMap;
  annotations: StringMap;
  logPath: string; // relative to the sandbox's log directory
  mounts: unknown[];
  resources: unknown;
  config: unknown;
  restoredFrom?: RestoredFrom;
}

interface MountView {
  container_path?: string;
  image?: { image?: string; image_ref?: string } | null;
  image_sub_path?: string;
}

export interface StopPlan {
  mode: 'exit' | 'delay' | 'ignore';
  delayMs: number;
  exitCode: number;
}

export interface ContainerServiceOptions {
  startLogLine: string;
  // How a running container answers a graceful stop (its workload decides).
  stopPlan: (c: Container) => StopPlan;
  // Checks, before StartContainer changes anything, that the container's
  // program can start; throws with the runtime's words if not.
  checkStart?: (c: Container) => void;
  // A container whose program answers the stop signal itself: sends it and
  // resolves when the program has ended or timeoutMs is up. undefined: the
  // stop plan decides.
  stopProgram?: (c: Container, timeoutMs: number) => Promise<void> | undefined;
  // Resolves the container's seccomp profile at creation; none: unconfined.
  seccomp?: SeccompSetup;
  // Who the container's processes will run as, from its config and image.
  user?: (config: unknown, imageId: string) => Container['user'];
  // Whether an image's files hold a directory (an image volume's subpath).
  imageHasDir?: (imageId: string, path: string) => boolean;
}

const SIGKILL_EXIT = 137;
// containerd's exit code and reason for a task that failed to start.
const START_ERROR_EXIT = 128;

// Containers' writable layers on containerfs (src/workloads/rootfs keeps
// them): they exist from CreateContainer to RemoveContainer.
export interface WritableLayers {
  create(containerId: string): void;
  // On disk when the promise settles.
  remove(containerId: string): Promise<void> | undefined;
  // More bytes in the layer, all or nothing: RESOURCE_EXHAUSTED when full.
  grow(containerId: string, bytes: number, options?: WriteOptions): Promise<void>;
  usage(containerId: string): ObjectSize;
}

// Memory is the limit: a container's state is a few KiB.
export const MAX_CONTAINERS = 200_000;

// Containers: names, the CREATED → RUNNING → EXITED machine, and the log file.
export class ContainerService {
  // containerd's reserved name: <name>_<pod>_<namespace>_<uid>_<attempt>.
  private readonly names = new Map<string, string>();
  // A pod's container ids: an array, not a Set, as a pod has a few (a Set
  // costs about 170 bytes more per pod).
  private readonly bySandbox = new Map<string, string[]>();
  private nextPid = 1000;

  constructor(
    readonly store: ObjectStore<Container>,
    private readonly sandboxes: ObjectStore<Sandbox>,
    // By any name the user may give: tag, digest, id.
    private readonly findImage: (ref: string) => ImageRecord | undefined,
    private readonly layers: WritableLayers,
    private readonly events: PodEvents,
    private readonly options: ContainerServiceOptions,
    private readonly log: Logger,
  ) {}

  restore(): void {
    for (const c of this.store.values()) {
      const sandbox = this.sandboxes.get(c.sandboxId);
      if (sandbox) this.names.set(containerName(c.metadata, sandbox), c.id);
      this.index(c);
      if (c.pid >= this.nextPid) this.nextPid = c.pid + 1;
    }
  }

  // Whether a container runs this image or mounts it as an image volume.
  usesImage(imageId: string): boolean {
    for (const c of this.store.values()) {
      if (c.imageId === imageId || (c.mounts as MountView[]).some((m) => m.image?.image_ref === imageId)) return true;
    }
    return false;
  }

  inSandbox(sandboxId: string): Container[] {
    const ids = this.bySandbox.get(sandboxId);
    return ids ? ids.map((id) => this.store.get(id)!).filter(Boolean) : [];
  }

  async create(input: CreateContainerInput): Promise<Container> {
    if (this.store.size >= MAX_CONTAINERS) throw resourceExhausted(`containers: there are already ${MAX_CONTAINERS}, the most fakecri holds`);
    const sandbox = this.sandboxes.mustResolve(input.sandboxId);
    if (input.podUid !== sandbox.metadata.uid) {
      throw invalidArgument(
        `sandbox_config.metadata.uid "${input.podUid}" does not match pod sandbox "${sandbox.id}" of pod uid "${sandbox.metadata.uid}"`,
      );
    }
    if (sandbox.state !== 'SANDBOX_READY') throw failedPrecondition(`pod sandbox "${sandbox.id}" is not ready`);
    const image = this.findImage(input.image.image);
    if (!image) throw notFound(`image "${input.image.image}" not found: pull it first`);
    const mounts = input.mounts.map((m, i) => this.imageVolume(m as MountView, i));
    const name = containerName(input.metadata, sandbox);
    const owner = this.names.get(name);
    if (owner) {
      throw failedPrecondition(
        `failed to reserve container name "${name}"; check if another CreateContainer request is in progress: name "${name}" is reserved for "${owner}"`,
      );
    }

    const container: Container = {
      id: newId(),
      sandboxId: sandbox.id,
      metadata: input.metadata,
      state: 'CONTAINER_CREATED',
      createdAt: nowNanos(),
      startedAt: '0',
      finishedAt: '0',
      exitCode: 0,
      reason: '',
      message: '',
      image: input.image,
      imageId: image.id,
      labels: input.labels,
      annotations: input.annotations,
      logPath: resolveLogPath(sandbox.logDirectory, input.logPath),
      rootfsBytes: 0,
      pid: 0,
      mounts,
      resources: input.resources,
      config: input.config,
      ...(input.restoredFrom ? { restoredFrom: input.restoredFrom } : {}),
    };
    const user = this.options.user?.(input.config, image.id);
    if (user) container.user = user;
    // Reserved before the first await, so a concurrent duplicate is refused.
    this.names.set(name, container.id);
    try {
      if (this.options.seccomp) container.seccomp = await this.options.seccomp.setup(seccompRequest(input, sandbox, image));
      // The writable layer exists from creation on, as a snapshot does.
      this.layers.create(container.id);
      // The sandbox may have been stopped or removed while this waited: a
      // container added now would be an orphan that no RemovePodSandbox
      // removes. The check and the add are one synchronous step.
      const now = this.sandboxes.get(sandbox.id);
      if (now?.state !== 'SANDBOX_READY') {
        throw failedPrecondition(`pod sandbox "${sandbox.id}" was ${now ? 'stopped' : 'removed'} while container "${input.metadata.name}" was being created`);
      }
      this.store.add(container);
    } catch (err) {
      this.names.delete(name);
      this.layers.remove(container.id);
      throw err;
    }
    this.index(container);
    this.log.info({ container: container.id, sandbox: sandbox.id, name: input.metadata.name }, 'container created');
    this.events.container('CREATED', container);
    return container;
  }

  // An image volume (KEP-4639) names its image by the id PullImage gave
  // (image_ref, or image): it must be here, as containerd resolves it
  // locally; the record keeps the id in image_ref, which ContainerStatus
  // reports and the kubelet's image GC counts as in use.
  private imageVolume(m: MountView, i: number): unknown {
    const ref = m.image?.image_ref || m.image?.image;
    if (!ref) return m;
    const image = this.findImage(ref);
    if (!image) {
      throw notFound(`config.mounts[${i}]: failed to resolve image "${ref}" for the image volume at "${m.container_path}": not found, pull it first`);
    }
    const sub = m.image_sub_path ?? '';
    if (sub && this.options.imageHasDir && !this.options.imageHasDir(image.id, sub)) {
      throw notFound(`config.mounts[${i}]: image_sub_path "${sub}" is not a directory of image "${ref}"`);
    }
    return { ...m, image: { ...m.image, image_ref: image.id } };
  }

  start(idOrPrefix: string): Container {
    const current = this.store.mustResolve(idOrPrefix);
    const sandbox = this.sandboxes.get(current.sandboxId);
    if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
      throw failedPrecondition(`container "${current.id}" cannot start: its pod sandbox "${current.sandboxId}" is not ready`);
    }
    try {
      this.options.checkStart?.(current);
    } catch (err) {
      // containerd marks a container whose task failed to start exited.
      this.store.update(current.id, (c) => {
        setContainerState(c, 'CONTAINER_EXITED');
        c.finishedAt = nowNanos();
        c.exitCode = START_ERROR_EXIT;
        c.reason = 'StartError';
        c.message = (err as Error).message;
      });
      this.events.container('STOPPED', this.store.get(current.id)!);
      throw err;
    }
    if (current.logPath) openLog(current, sandbox);
    const started = this.store.update(current.id, (c) => {
      setContainerState(c, 'CONTAINER_RUNNING');
      c.startedAt = nowNanos();
      c.pid = this.nextPid++;
    });
    if (started.logPath && this.options.startLogLine) {
      const text = this.options.startLogLine.replaceAll('{name}', started.metadata.name);
      try {
        appendLog(started.logPath, formatLogLine(nowNanos(), 'stdout', text));
      } catch (err) {
        // The container runs; only its first line is lost, as a full disk loses it.
        this.log.warn({ container: started.id, err: (err as Error).message }, 'log write failed');
      }
    }
    this.log.info({ container: started.id, pid: started.pid }, 'container started');
    this.events.container('STARTED', started);
    return started;
  }

  // Marks a running container exited. reason defaults the way containerd
  // sets it: Completed for 0, Error otherwise.
  exit(id: string, exitCode: number, reason?: string, message = ''): Container {
    const exited = this.store.update(id, (c) => {
      setContainerState(c, 'CONTAINER_EXITED');
      c.finishedAt = nowNanos();
      c.exitCode = exitCode;
      c.reason = reason ?? (exitCode === 0 ? 'Completed' : 'Error');
      c.message = message;
    });
    this.log.info({ container: id, exitCode, reason: exited.reason }, 'container exited');
    this.events.container('STOPPED', exited);
    return exited;
  }

  // As containerd stops: the stop signal, then SIGKILL (137) when the
  // timeout runs out; a timeout of 0 is SIGKILL at once. How soon the
  // container obeys the signal is its workload's stop plan (by default at
  // once, exit code 0). A container that is not running is left as it is;
  // an unknown one is success too, as StopContainer is idempotent (containerd).
  async stop(idOrPrefix: string, timeoutSeconds: number): Promise<void> {
    const container = this.store.resolve(idOrPrefix);
    if (container?.state !== 'CONTAINER_RUNNING') return;
    if (timeoutSeconds <= 0) return this.exitIfRunning(container.id, SIGKILL_EXIT);
    const timeoutMs = timeoutSeconds * 1000;
    const program = this.options.stopProgram?.(container, timeoutMs);
    if (program) {
      await program;
      return this.exitIfRunning(container.id, SIGKILL_EXIT);
    }
    const plan = this.options.stopPlan(container);
    if (plan.mode === 'exit') return this.exitIfRunning(container.id, plan.exitCode);
    const obeys = plan.mode === 'delay' && plan.delayMs <= timeoutMs;
    await sleep(obeys ? plan.delayMs : timeoutMs);
    this.exitIfRunning(container.id, obeys ? plan.exitCode : SIGKILL_EXIT);
  }

  // The container may have exited or gone while a stop waited.
  private exitIfRunning(id: string, code: number): void {
    if (this.store.get(id)?.state === 'CONTAINER_RUNNING') this.exit(id, code);
  }

  async stopAllIn(sandboxId: string): Promise<void> {
    for (const c of this.inSandbox(sandboxId)) {
      if (c.state === 'CONTAINER_RUNNING') this.exit(c.id, SIGKILL_EXIT);
    }
  }

  // Idempotent; a running container is killed first. Settles once its
  // writable layer is off the disk.
  async remove(idOrPrefix: string): Promise<void> {
    const container = this.store.resolve(idOrPrefix);
    if (!container) return;
    if (container.state === 'CONTAINER_RUNNING') this.exit(container.id, SIGKILL_EXIT);
    this.store.remove(container.id);
    const gone = this.layers.remove(container.id);
    const ids = this.bySandbox.get(container.sandboxId);
    const at = ids ? ids.indexOf(container.id) : -1;
    if (at >= 0) ids!.splice(at, 1);
    const sandbox = this.sandboxes.get(container.sandboxId);
    if (sandbox) this.names.delete(containerName(container.metadata, sandbox));
    this.log.info({ container: container.id }, 'container removed');
    this.events.container('DELETED', container);
    await gone;
  }

  async removeAllIn(sandboxId: string): Promise<void> {
    const gone = this.inSandbox(sandboxId).map((c) => this.remove(c.id));
    this.bySandbox.delete(sandboxId);
    await Promise.all(gone);
  }

  // Grows the container's writable layer by `bytes`: the entry point for
  // workloads that write to their root filesystem. Fails with
  // RESOURCE_EXHAUSTED, changing nothing, when containerfs is full.
  async writeRootfs(idOrPrefix: string, bytes: number, options?: WriteOptions): Promise<Container> {
    const container = this.store.mustResolve(idOrPrefix);
    if (container.state === 'CONTAINER_EXITED') {
      throw failedPrecondition(`container "${container.id}" is exited: nothing writes to its root filesystem`);
    }
    await this.layers.grow(container.id, bytes, options);
    // The record follows the layer's bytes (all it holds, as du counts).
    const used = this.layers.usage(container.id).bytes;
    return this.store.update(container.id, (c) => {
      c.rootfsBytes = used;
    });
  }

  updateResources(idOrPrefix: string, resources: unknown): Container {
    const container = this.store.mustResolve(idOrPrefix);
    if (container.state === 'CONTAINER_EXITED') {
      throw failedPrecondition(`container "${container.id}" is exited, its resources cannot be updated`);
    }
    return this.store.update(container.id, (c) => {
      c.resources = resources;
    });
  }

  reopenLog(idOrPrefix: string): void {
    const container = this.store.mustResolve(idOrPrefix);
    if (container.state !== 'CONTAINER_RUNNING') {
      throw failedPrecondition(`container "${container.id}" is ${stateWord(container.state)}, not running: its log cannot be reopened`);
    }
    const sandbox = this.sandboxes.get(container.sandboxId);
    if (container.logPath && sandbox) openLog(container, sandbox);
  }

  private index(c: Container): void {
    const ids = this.bySandbox.get(c.sandboxId);
    if (!ids) this.bySandbox.set(c.sandboxId, [c.id]);
    else if (!ids.includes(c.id)) ids.push(c.id);
  }
}

function seccompRequest(input: CreateContainerInput, sandbox: Sandbox, image: ImageRecord): SeccompRequest {
  type SecurityContext = Pick<SeccompRequest, 'field' | 'capabilities'> & { privileged?: boolean; seccomp?: SeccompRequest['field'] };
  const sc = (input.config as { linux?: { security_context?: SecurityContext | null } | null }).linux?.security_context;
  return {
    containerName: input.metadata.name,
    privileged: Boolean(sc?.privileged),
    field: sc?.seccomp,
    capabilities: sc?.capabilities,
    podAnnotations: sandbox.annotations,
    imageAnnotations: image.annotations ?? {},
  };
}

// Joined, as sandboxName: one flat string per kept name.
export const containerName = (m: { name: string; attempt: number }, s: Sandbox): string =>
  [m.name, s.metadata.name, s.metadata.namespace, s.metadata.uid, m.attempt].join('_');

// The kubelet sends the sandbox's log_directory and a path relative to it.
// Either missing means no log file, as in containerd.
function resolveLogPath(directory: string, relative: string): string {
  if (relative && !isContainedRelative(relative)) {
    throw invalidArgument(`log_path "${relative}" must be relative to the sandbox log_directory and stay inside it`);
  }
  return directory && relative ? join(directory, relative) : '';
}

// Creates (or reopens) the container's log file inside its sandbox's log
// directory, naming the file in any error.
function openLog(c: Container, sandbox: Sandbox): void {
  try {
    createLogFile(c.logPath, sandbox.logDirectory);
  } catch (err) {
    const what = `failed to create container log file "${c.logPath}"`;
    if (isSystemError(err)) throw fromSystemError(err, what);
    if (err instanceof FakecriError) throw new FakecriError(err.code, `${what}: ${err.message}`);
    throw err;
  }
}
