import type { NewNode } from './backend';
import { DEV } from './devices';
import { type MemInode, MemTree, type MemTreeOptions } from './memory-tree';

// What a busybox-like image holds, synthesized: /bin with every applet a
// symlink to /bin/busybox, the users and groups, the usual directories.
export interface ImageFiles {
  applets: readonly string[];
  // Extra files by absolute path (a catalog's entries).
  files?: Record<string, string>;
  // The image's own programs by absolute path (its entrypoint): executable
  // ELF stubs, which the userland runs as programs it does not emulate.
  programs?: readonly string[];
}

export const PROGRAM_STUB = '\x7fELF fakecri image program\n';

export const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n';
export const GROUP = 'root:x:0:\nnobody:x:65534:\n';

// Fills `tree` with the image's files (no permission checks: the image
// builder is root).
export function populateImage(tree: MemTree, image: ImageFiles): void {
  for (const [path, mode] of [
    ['/bin', 0o755],
    ['/etc', 0o755],
    ['/home', 0o755],
    ['/root', 0o700],
    ['/tmp', 0o1777],
    ['/usr', 0o755],
    ['/usr/bin', 0o755],
    ['/usr/sbin', 0o755],
    ['/var', 0o755],
    ['/var/spool', 0o755],
    ['/var/spool/mail', 0o755],
    ['/var/www', 0o755],
  ] as const) {
    mkdirp(tree, path, mode);
  }
  put(tree, '/bin/busybox', { type: 'file', mode: 0o755, uid: 0, gid: 0 });
  for (const name of image.applets) {
    if (name === 'busybox' || name.includes('/')) continue;
    put(tree, `/bin/${name}`, { type: 'symlink', mode: 0o777, uid: 0, gid: 0, target: 'busybox' });
  }
  writeFile(tree, '/etc/passwd', PASSWD);
  writeFile(tree, '/etc/group', GROUP);
  for (const [path, text] of Object.entries(image.files ?? {})) writeFile(tree, path, text);
  for (const path of image.programs ?? []) {
    if (!path.startsWith('/') || path.split('/').includes('..')) continue;
    writeFile(tree, path, Buffer.from(PROGRAM_STUB, 'latin1'), 0o755);
  }
}

// The device files of /dev, and /dev/shm, /dev/pts as directories.
export function populateDev(tree: MemTree, dir = ''): void {
  if (dir) mkdirp(tree, dir, 0o755);
  for (const [name, rdev] of Object.entries(DEV)) {
    if (name === 'tty') continue;
    put(tree, `${dir}/${name}`, { type: 'chardev', mode: 0o666, uid: 0, gid: 0, rdev });
  }
  mkdirp(tree, `${dir}/shm`, 0o1777);
  mkdirp(tree, `${dir}/pts`, 0o755);
}

// A whole image-like root in one tree, with /dev inside: for tests and for
// anything that wants a container's files without mounts.
export function testRoot(applets: readonly string[], options: Partial<MemTreeOptions> = {}): MemTree {
  const tree = new MemTree({ dev: 1, ...options });
  populateImage(tree, { applets });
  populateDev(tree, '/dev');
  return tree;
}

export function mkdirp(tree: MemTree, path: string, mode = 0o755): MemInode {
  let node = tree.root();
  for (const name of path.split('/').filter(Boolean)) {
    node = tree.lookup(node, name) ?? tree.create(node, name, { type: 'dir', mode, uid: 0, gid: 0 });
  }
  return node;
}

export function put(tree: MemTree, path: string, spec: NewNode): MemInode {
  const slash = path.lastIndexOf('/');
  const dir = mkdirp(tree, path.slice(0, slash));
  const name = path.slice(slash + 1);
  if (tree.lookup(dir, name)) tree.remove(dir, name);
  return tree.create(dir, name, spec);
}

export function writeFile(tree: MemTree, path: string, text: string | Uint8Array, mode = 0o644): MemInode {
  const node = put(tree, path, { type: 'file', mode, uid: 0, gid: 0 });
  const data = typeof text === 'string' ? Buffer.from(text) : text;
  if (data.byteLength) tree.writeAt(node, 0, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return node;
}
