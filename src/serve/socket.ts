import { lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';

export class SocketInUseError extends Error {}

// A socket file left by a crashed fakecri is replaced; one that something
// still answers on is not: two runtimes on one socket would confuse the kubelet.
export async function clearStaleSocket(path: string): Promise<void> {
  let stat;
  try {
    stat = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (!stat.isSocket()) throw new SocketInUseError(`${path} exists and is not a socket; refusing to replace it`);
  const answers = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (answers) throw new SocketInUseError(`something is already serving on ${path}; stop it first or choose another --socket`);
  unlinkSync(path);
}
