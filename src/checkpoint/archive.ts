import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Backend } from '../workloads/rootfs/backend';
import { type DiffSummary, type Progress, writeRootfsDiff } from './rootfs-diff';
import { type TarEntry, TarFormatError, TarReader, TarWriter } from './tar';

// The checkpoint archive as CRI-O writes it (checkpointctl's file names):
// config.dump, spec.dump, bind.mounts, dump.log, checkpoint/ (CRIU's
// images: fakecri has none), rootfs-diff.tar, deleted.files, and the
// container's log under the name of CRI-O's annotation for it.
export const FILES = {
  config: 'config.dump',
  spec: 'spec.dump',
  status: 'status.dump',
  bindMounts: 'bind.mounts',
  dumpLog: 'dump.log',
  checkpointDir: 'checkpoint',
  rootfsDiff: 'rootfs-diff.tar',
  deleted: 'deleted.files',
  log: 'io.kubernetes.cri-o.LogPath',
} as const;

// The metadata files are small; an archive whose are not is refused.
const MAX_METADATA = 16 * 1024 * 1024;
const { O_WRONLY, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

export interface CheckpointContent {
  config: object;
  spec: object;
  // containerd's status.dump: the CRI ContainerStatus as Go's JSON has it.
  status: string;
  bindMounts?: object[];
  dumpLog: string;
  upper: Backend | undefined; // the writable layer
  logPath?: string;
}

export interface WrittenArchive {
  bytes: number;
  diff: DiffSummary;
}

// Writes the archive to a new file beside `location` (created exclusively,
// never through a symlink, mode 0600 as CRI-O makes it: it would hold
// memory pages), then renames it to `location`: a failed or timed-out
// checkpoint leaves nothing, and a symlink at `location` is replaced, not
// followed.
export async function writeCheckpointArchive(location: string, content: CheckpointContent, progress: Progress): Promise<WrittenArchive> {
  const tmp = join(dirname(location), `.${basename(location)}.fakecri-${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o600);
  let done = false;
  try {
    const w = new TarWriter(fd);
    const now = Date.now();
    const meta = { mode: 0o600, uid: 0, gid: 0, mtimeMs: now };
    const file = (name: string, data: Buffer) => {
      w.header({ ...meta, name, type: 'file', size: data.length });
      w.data(data);
      w.end(data.length);
    };
    const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, '  '));
    file(FILES.config, json(content.config));
    file(FILES.spec, json(content.spec));
    file(FILES.status, Buffer.from(content.status));
    if (content.bindMounts?.length) file(FILES.bindMounts, json(content.bindMounts));
    file(FILES.dumpLog, Buffer.from(content.dumpLog));
    w.header({ ...meta, mode: 0o700, name: FILES.checkpointDir, type: 'dir', size: 0 });

    // rootfs-diff.tar goes in as it is made: its header is written last,
    // once its size is known. No changes, no file, as CRI-O does.
    const at = w.reserve();
    const inner = new TarWriter(fd, w.pos);
    const diff = await writeRootfsDiff(content.upper, inner, progress);
    if (diff.entries > 0) {
      inner.finish();
      const size = inner.pos - w.pos;
      w.pos = inner.pos;
      w.end(size);
      w.patch(at, { ...meta, name: FILES.rootfsDiff, type: 'file', size });
    } else {
      w.pos = at;
    }
    if (diff.deleted.length) file(FILES.deleted, json(diff.deleted));
    if (content.logPath) await copyLog(content.logPath, w, meta, progress);
    w.finish();
    closeSync(fd);
    done = true;
    renameSync(tmp, location);
    return { bytes: w.pos, diff };
  } catch (err) {
    if (!done) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // Already gone.
    }
    throw err;
  }
}

// The container's log, as it is now: never through a symlink, only a
// regular file, the size it had when opened.
async function copyLog(path: string, w: TarWriter, meta: { mode: number; uid: number; gid: number; mtimeMs: number }, progress: Progress): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch {
    return; // No log (yet): CRI-O puts in the log only if it exists.
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return;
    w.header({ ...meta, name: FILES.log, type: 'file', size: st.size });
    const buf = Buffer.alloc(64 * 1024);
    let pos = 0;
    while (pos < st.size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, st.size - pos), pos);
      if (n === 0) break;
      w.data(buf.subarray(0, n));
      pos += n;
      await progress(n);
    }
    if (pos < st.size) w.data(Buffer.alloc(st.size - pos));
    w.end(st.size);
  } finally {
    closeSync(fd);
  }
}

// A checkpoint archive opened for a restore: its metadata read, its
// rootfs diff left in place to be read as it is applied.
export interface OpenArchive {
  config: Record<string, unknown>;
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
  deleted: string[];
  // Reads rootfs-diff.tar's entries (undefined: the archive has none).
  diff(): TarReader | undefined;
  close(): void;
}

export class CheckpointArchiveError extends Error {}

// Opens the archive at `path` (a symlink is followed, as os.Open does in
// CRI-O; the file must be a regular one).
export function openCheckpointArchive(path: string): OpenArchive {
  const fd = openSync(path, O_RDONLY | O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CheckpointArchiveError(`checkpoint archive ${path} is not a regular file`);
    const r = new TarReader(fd, 0, st.size);
    const found = new Map<string, TarEntry>();
    for (let e = r.next(); e; e = r.next()) found.set(e.name.replace(/^\.\//, ''), e);
    const json = <T>(name: string, required: boolean): T | undefined => {
      const e = found.get(name);
      if (!e) {
        if (required) throw new CheckpointArchiveError(`failed to read "${name}": checkpoint archive ${path} has no ${name}`);
        return undefined;
      }
      try {
        return JSON.parse(r.readAll(e, MAX_METADATA).toString('utf8')) as T;
      } catch (err) {
        throw new CheckpointArchiveError(`failed to read "${name}" of checkpoint archive ${path}: ${(err as Error).message}`);
      }
    };
    const spec = json<Record<string, unknown>>(FILES.spec, true)!;
    const config = json<Record<string, unknown>>(FILES.config, true)!;
    const deleted = json<unknown>(FILES.deleted, false) ?? [];
    const status = json<unknown>(FILES.status, false);
    if (!isObject(spec) || !isObject(config)) throw new CheckpointArchiveError(`checkpoint archive ${path}: spec.dump and config.dump must hold JSON objects`);
    if (!Array.isArray(deleted) || !deleted.every((d) => typeof d === 'string')) {
      throw new CheckpointArchiveError(`checkpoint archive ${path}: deleted.files must be a JSON list of paths`);
    }
    const diffEntry = found.get(FILES.rootfsDiff);
    return {
      config,
      spec,
      status: isObject(status) ? status : undefined,
      deleted,
      diff: () => (diffEntry && diffEntry.type === 'file' ? new TarReader(fd, diffEntry.offset, diffEntry.offset + diffEntry.size) : undefined),
      close: () => closeSync(fd),
    };
  } catch (err) {
    closeSync(fd);
    if (err instanceof TarFormatError) throw new CheckpointArchiveError(`checkpoint archive ${path} is not a valid tar archive: ${err.message}`);
    throw err;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
