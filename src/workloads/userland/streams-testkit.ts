import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable, Writable } from 'node:stream';
import pino from 'pino';
import { PodEvents } from '../../pods/events';
import type { Container } from '../../store/container';
import type { ImageRecord } from '../../store/image-store';
import type { Sandbox } from '../../store/sandbox';
import { containerRecord, sandboxRecord } from '../../test/rootfs-fixture';
import { MemoryFilesystem } from '../../vfs/memory-backend';
import { BUILTIN_IMAGES } from '../../images/image-config';
import { Programs } from '../programs';
import { RootfsStore } from '../rootfs/store';
import { imageFiles, imagePrograms } from './image-program';
import { commandNames, commands } from './commands';
import { PodNetworks } from './pod-networks';
import type { StreamIo } from './stream-io';

// Programs for tests, as the App builds them, over a memory rootfs: start
// containers of busybox, nginx or agnhost, exec and attach with streams.

export interface Pod {
  programs: Programs;
  networks: PodNetworks;
  sandbox: Sandbox;
  stateDir: string;
  exits: Map<string, number>;
  // A started container of image (busybox by default) with this CRI config.
  start(id: string, config?: Record<string, unknown>, image?: string): Container;
  container(id: string, config?: Record<string, unknown>, image?: string): Container;
  close(): void;
}

function imageRecord(ref: string): ImageRecord {
  const config = BUILTIN_IMAGES.find((b) => new RegExp(`^${b.match.split('*').join('.*')}$`).test(ref))?.config;
  return { id: `sha256:${ref}`, repoTags: [ref], repoDigests: [], size: 0, layers: [], annotations: {}, createdAt: '0', config };
}

// imageFiles: false builds images as an App from before nginx's files did.
export function makePod(o: { imageFiles?: boolean } = {}): Pod {
  const dir = mkdtempSync(join(tmpdir(), 'fakecri-streams-'));
  const containers = new Map<string, Container>();
  const images = new Map<string, ImageRecord>();
  const sandbox = sandboxRecord('sb');
  const events = new PodEvents();
  const networks = new PodNetworks(events);
  const exits = new Map<string, number>();
  const rootfs = new RootfsStore({
    containerfs: new MemoryFilesystem('containerfs', join(dir, 'fs'), 64 * 2 ** 20, 10_000),
    stateDir: dir,
    container: (id) => containers.get(id),
    sandbox: () => sandbox,
    image: (id) => images.get(id),
    imageFiles: (image) => ({ applets: commandNames, programs: imagePrograms(image), files: o.imageFiles === false ? {} : imageFiles(image) }),
    flushIntervalMs: 60_000,
  });
  const programs = new Programs({
    container: (id) => containers.get(id),
    sandbox: () => sandbox,
    image: (id) => images.get(id),
    rootfs,
    applets: commands,
    net: (s) => networks.of(s),
    exited: (id, status) => exits.set(id, status),
    log: pino({ level: 'silent' }),
  });
  const pod: Pod = {
    programs,
    networks,
    sandbox,
    stateDir: dir,
    exits,
    container(id, config = {}, image = 'docker.io/library/busybox:1.36') {
      const img = images.get(`sha256:${image}`) ?? imageRecord(image);
      images.set(img.id, img);
      const c = containerRecord(id, {
        imageId: img.id,
        image: { image, annotations: {}, user_specified_image: image, runtime_handler: '' },
        config,
        startedAt: String(BigInt(Date.now()) * 1_000_000n),
      });
      containers.set(id, c);
      rootfs.create(id);
      return c;
    },
    start(id, config = {}, image) {
      const c = pod.container(id, config, image);
      programs.start(c);
      return c;
    },
    close() {
      programs.haltAll();
      rootfs.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return pod;
}

// A client's side of a stream: what is written to it, as text.
export class Sink extends Writable {
  private readonly parts: Buffer[] = [];

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.parts.push(chunk);
    cb();
  }

  get text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }

  get buffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface Client {
  io: StreamIo;
  stdin: PassThrough;
  stdout: Sink;
  stderr: Sink;
  abort: AbortController;
  resize(width: number, height: number): void;
}

// Streams for exec or attach, as the streaming server would pass them.
export function client(o: { tty?: boolean; stdin?: boolean; stderr?: boolean } = {}): Client {
  const stdin = new PassThrough();
  const stdout = new Sink();
  const stderr = new Sink();
  const abort = new AbortController();
  const sizes = new PassThrough({ objectMode: true });
  return {
    io: {
      stdin: o.stdin === false ? undefined : (stdin as Readable),
      stdout,
      stderr: o.tty || o.stderr === false ? undefined : stderr,
      tty: !!o.tty,
      resizes: sizes,
      signal: abort.signal,
    },
    stdin,
    stdout,
    stderr,
    abort,
    resize: (width, height) => sizes.write({ width, height }),
  };
}
