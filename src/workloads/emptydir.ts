import { realpathSync } from 'node:fs';
import { normalize } from 'node:path';

// Where emptydir_write may write: only into the pod's own emptyDir volumes,
// never a hostPath. The CRI Mount carries no volume type (kuberuntime's
// makeMounts copies HostPath from the volume's mounter), so the kubelet's
// own layout is what tells: an emptyDir is
// <root-dir>/pods/<pod uid>/volumes/kubernetes.io~empty-dir/<volume name>
// (pkg/volume/emptydir, GetPodVolumeDir). The path must have that shape for
// this pod's uid, and so must its real path: a symlinked kubelet root is
// fine, an emptyDir that is a symlink to elsewhere is not.
const EMPTY_DIR = /\/pods\/([^/]+)\/volumes\/kubernetes\.io~empty-dir\/([^/]+)$/;

// undefined when `hostPath` is an emptyDir of the pod with uid `podUid`;
// else why not.
export function emptyDirProblem(hostPath: string, podUid: string): string | undefined {
  const shape = (path: string) => {
    const m = EMPTY_DIR.exec(path);
    return m && m[1] === podUid ? m[2] : undefined;
  };
  if (!hostPath.startsWith('/') || normalize(hostPath) !== hostPath || hostPath.includes('\0')) {
    return `host path "${hostPath}" is not a clean absolute path`;
  }
  const name = shape(hostPath);
  if (!name) return `host path "${hostPath}" is not an emptyDir volume of pod uid "${podUid}" (…/pods/<uid>/volumes/kubernetes.io~empty-dir/<name>)`;
  let real: string;
  try {
    real = realpathSync(hostPath);
  } catch (err) {
    return `host path "${hostPath}": ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : (err as Error).message}`;
  }
  if (shape(real) !== name) return `host path "${hostPath}" leads to "${real}", which is not that emptyDir`;
  return undefined;
}
