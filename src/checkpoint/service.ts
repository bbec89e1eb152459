import { constants, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import { FakecriError, errnoWords, invalidArgument, isSystemError, notFound, resourceExhausted } from '../domain/errors';
import type { CreateContainerInput } from '../pods/container-service';
import type { Container } from '../store/container';
import type { ImageRecord } from '../store/image-store';
import type { Sandbox } from '../store/sandbox';
import type { Backend } from '../workloads/rootfs/backend';
import { isFsError } from '../workloads/rootfs/types';
import { CheckpointArchiveError, openCheckpointArchive, writeCheckpointArchive } from './archive';
import { checkpointTimes, configDump, readSpecDump, specDump, statusDump } from './dumps';
import { applyRootfsDiff, type Progress } from './rootfs-diff';
import { TarFormatError } from './tar';

// How many bytes go between two turns of the event loop while an archive is
// written or applied: the sockets stay served and a timeout can fire.
const YIELD_BYTES = 4 * 1024 * 1024;

export interface CheckpointDeps {
  container(idOrPrefix: string): Container | undefined;
  sandbox(id: string): Sandbox | undefined;
  image(refOrId: string): ImageRecord | undefined;
  containerName(c: Container): string;
  // The container's writable layer (the overlay upper), if it has one yet.
  upper(containerId: string): Backend | undefined;
  // The container's root as it sees it without mounts (image + writable layer).
  root(containerId: string): Backend;
  create(input: CreateContainerInput): Promise<Container>;
  remove(containerId: string): Promise<void>;
  log: Logger;
}

export interface CheckpointResult {
  bytes: number;
  files: number;
  deleted: number;
}

// CheckpointContainer and its restore (CreateContainer from an archive).
export class CheckpointService {
  constructor(private readonly d: CheckpointDeps) {}

  // Writes the checkpoint archive of a running container at `location`.
  // `signal` stops it (timeout, cancel) with nothing left at `location`.
  async checkpoint(idOrPrefix: string, location: string, signal: AbortSignal): Promise<CheckpointResult> {
    const c = this.d.container(idOrPrefix);
    // CRI-O's words and codes (server/container_checkpoint.go, internal/lib/checkpoint.go).
    if (!c) throw notFound(`could not find container "${idOrPrefix}": container with ID starting with ${idOrPrefix} not found: ID does not exist`);
    if (c.state !== 'CONTAINER_RUNNING') throw new FakecriError('UNKNOWN', `container ${c.id} is not running`);
    const sandbox = this.d.sandbox(c.sandboxId);
    const image = this.d.image(c.imageId);
    const name = this.d.containerName(c);
    const bindMounts = bindMountsOf(c);
    try {
      const written = await writeCheckpointArchive(
        location,
        {
          config: configDump(c, name, image, sandbox, false),
          spec: specDump(c, name, image, sandbox),
          status: statusDump(c, image),
          bindMounts,
          dumpLog: `fakecri checkpoint of container ${c.id}: no CRIU images; a restore starts the program of spec.dump again\n`,
          upper: this.d.upper(c.id),
          logPath: c.logPath || undefined,
        },
        pacer(signal),
      );
      this.d.log.info({ container: c.id, location, bytes: written.bytes, files: written.diff.entries }, 'container checkpointed');
      return { bytes: written.bytes, files: written.diff.entries, deleted: written.diff.deleted.length };
    } catch (err) {
      if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
      if (isSystemError(err)) {
        const what = err.syscall === 'open' ? `error creating checkpoint export file "${location}": open ${location}` : `writing "${location}"`;
        throw new FakecriError('UNKNOWN', `failed to write file system changes of container ${c.id}: ${what}: ${errnoWords(err)}`);
      }
      throw err;
    }
  }

  // The checkpoint archive a CreateContainer image names, if it names one,
  // as CRI-O tells them: an existing file (fakecri asks for an absolute
  // path, so that no image reference is ever taken for a file in its working
  // directory), or a pulled checkpoint image (its annotation).
  archiveOf(image: string): string | undefined {
    if (isAbsolute(image)) {
      try {
        return (statSync(image).mode & constants.S_IFMT) === constants.S_IFREG ? image : undefined;
      } catch {
        return undefined;
      }
    }
    try {
      return this.d.image(image)?.checkpointArchive;
    } catch {
      return undefined; // not a reference: CreateContainer says so
    }
  }

  // CreateContainer whose image is a checkpoint archive: a container of the
  // checkpoint's base image, with the original annotations and program,
  // whose writable layer is the archive's rootfs diff (deleted.files
  // applied), as CRI-O's CRImportCheckpoint and restore do.
  async restore(input: CreateContainerInput, path: string, signal: AbortSignal): Promise<Container> {
    let archive;
    try {
      archive = openCheckpointArchive(path);
    } catch (err) {
      if (err instanceof CheckpointArchiveError) throw invalidArgument(err.message);
      if (isSystemError(err)) throw new FakecriError('UNKNOWN', `failed to open checkpoint archive ${path} for import: ${errnoWords(err)}`);
      throw err;
    }
    try {
      const config = archive.config as { rootfsImageRef?: unknown; rootfsImageName?: unknown; rootfsImage?: unknown };
      let spec;
      try {
        spec = readSpecDump(archive.spec);
      } catch (err) {
        throw invalidArgument(`failed to read "spec.dump" of checkpoint archive ${path}: ${(err as Error).message}`);
      }
      const refs = [config.rootfsImageRef, config.rootfsImageName, config.rootfsImage].filter((r): r is string => typeof r === 'string' && r !== '');
      const base = refs.map((r) => this.d.image(r)).find(Boolean);
      if (!base) throw notFound(`checkpoint base image ${refs.join(' / ') || '(none recorded)'} of ${path} not found: pull it first`);

      // CRI-O refuses a restore whose bind mounts the request does not define.
      const given = new Set((input.mounts as { container_path?: string }[]).map((m) => m.container_path));
      const missing = spec.bindDestinations.filter((d) => !given.has(d));
      if (missing.length) throw invalidArgument(`restoring "${path}" expects following bind mounts defined (${missing.join(',')})`);

      const annotations = { ...spec.annotations };
      for (const key of ['io.kubernetes.container.hash', 'io.kubernetes.container.restartCount']) {
        if (key in annotations && key in input.annotations) annotations[key] = input.annotations[key];
      }
      if ('io.kubernetes.pod.uid' in annotations) annotations['io.kubernetes.pod.uid'] = input.podUid;
      const cfg = (input.config ?? {}) as Record<string, unknown>;
      const times = checkpointTimes(archive.config, archive.status);
      const c = await this.d.create({
        ...input,
        ...(times ? { restoredFrom: { archive: path, ...times } } : {}),
        image: { ...input.image, image: base.repoTags[0] ?? base.id, user_specified_image: input.image.user_specified_image || input.image.image },
        annotations,
        config: {
          ...cfg,
          command: spec.args.length ? spec.args : (cfg.command ?? []),
          args: spec.args.length ? [] : (cfg.args ?? []),
          envs: spec.env.length ? spec.env : (cfg.envs ?? []),
          working_dir: spec.cwd || cfg.working_dir || '',
        },
      });
      try {
        const applied = await applyRootfsDiff(archive.diff(), archive.deleted, this.d.root(c.id), pacer(signal));
        this.d.log.info({ container: c.id, archive: path, files: applied.entries, deleted: applied.deleted.length }, 'container restored from a checkpoint');
      } catch (err) {
        await this.d.remove(c.id);
        if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : err;
        if (isFsError(err, 'ENOSPC') || isFsError(err, 'EDQUOT')) throw resourceExhausted(`restoring ${path}: no space left on containerfs for ${err.path}`);
        if (err instanceof TarFormatError) throw invalidArgument(`unpacking of checkpoint archive ${path} failed: ${err.message}`);
        throw err;
      }
      return c;
    } finally {
      archive.close();
    }
  }
}

// Aborts with the signal's reason; yields to the event loop every few MiB.
function pacer(signal: AbortSignal): Progress {
  let since = 0;
  return (bytes) => {
    signal.throwIfAborted();
    since += bytes;
    if (since < YIELD_BYTES) return;
    since = 0;
    return new Promise<void>((resolve) => setImmediate(resolve)).then(() => signal.throwIfAborted());
  };
}

// bind.mounts: the container's host-path mounts, typed as CRI-O records them.
function bindMountsOf(c: Container): object[] {
  const out: object[] = [];
  for (const m of c.mounts as { container_path?: string; host_path?: string }[]) {
    if (!m.container_path || !m.host_path) continue;
    try {
      const st = statSync(m.host_path);
      out.push({ source: m.host_path, destination: m.container_path, file_type: st.isDirectory() ? 'directory' : 'file', permissions: st.mode & 0o777 });
    } catch {
      // A source that is gone is left out.
    }
  }
  return out;
}
