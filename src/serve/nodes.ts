import { join } from 'node:path';
import type { Config } from '../config/config';
import { splitPodCidr } from '../network/cidr';

// One of the runtimes a `serve --nodes N` process serves: its own paths,
// pod CIDR, ports and filesystems, derived from the one config.
export interface NodePlan {
  index: number;
  name: string;
  socket: string;
  controlSocket: string;
  stateDir: string;
  config: Config;
}

export const MAX_NODES = 1000;
export const DEFAULT_NODE_NAME_PREFIX = 'fakecri-';

// "<stem>.sock" → "<stem>-<i>.sock" (or "<path>-<i>" without .sock).
export function numberedSocket(path: string, index: number): string {
  return path.endsWith('.sock') ? `${path.slice(0, -'.sock'.length)}-${index}.sock` : `${path}-${index}`;
}

// Node i (from 1) of n: sockets <stem>-<i>.sock, state <state-dir>/node-<i>,
// the i-th of n equal parts of the pod CIDR, configured filesystem paths
// and fixed ports offset by i-1. Everything else in the config is shared.
export function planNode(config: Config, paths: { socket: string; controlSocket: string; stateDir: string }, n: number, index: number, prefix: string): NodePlan {
  const filesystems = { ...config.filesystems };
  for (const name of ['imagefs', 'containerfs'] as const) {
    const fs = filesystems[name];
    if (fs?.path) filesystems[name] = { ...fs, path: join(fs.path, `node-${index}`) };
  }
  const offset = (port: number) => {
    if (port && port + n - 1 > 65535) throw new Error(`port ${port} + ${n - 1} is past 65535: choose a lower port or fewer --nodes`);
    return port ? port + index - 1 : 0;
  };
  const nodeConfig: Config = {
    ...config,
    filesystems,
    network: { ...config.network, default_pod_cidr: splitPodCidr(config.network.default_pod_cidr, n, index) },
    control: { ...config.control, socket: numberedSocket(paths.controlSocket, index), tcp_port: offset(config.control.tcp_port) },
    streaming: { ...config.streaming, port: offset(config.streaming.port) },
  };
  return {
    index,
    name: `${prefix}${index}`,
    socket: numberedSocket(paths.socket, index),
    controlSocket: numberedSocket(paths.controlSocket, index),
    stateDir: join(paths.stateDir, `node-${index}`),
    config: nodeConfig,
  };
}
