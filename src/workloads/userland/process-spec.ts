import type { ImageConfig } from '../../images/image-config';
import { DEFAULT_PATH } from '../rootfs/path';

// What the container's first process is, as containerd builds its OCI
// process (internal/cri/opts/spec_opts.go WithProcessArgs, WithEnv, the
// working directory): the CRI command replaces the image's Entrypoint and
// drops its Cmd; CRI args alone replace the Cmd; neither runs Entrypoint +
// Cmd. Environment: PATH, the image's Env, HOSTNAME, then the CRI envs, a
// later key replacing an earlier one.
export interface ProcessSpec {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
}

interface ContainerConfigView {
  command?: string[];
  args?: string[];
  envs?: { key?: string; value?: string }[];
  working_dir?: string;
  tty?: boolean;
}

export function processSpec(config: unknown, image: ImageConfig | undefined, hostname: string): ProcessSpec {
  const c = (config ?? {}) as ContainerConfigView;
  let command = c.command ?? [];
  let args = c.args ?? [];
  if (command.length === 0) {
    if (args.length === 0) args = image?.cmd ?? [];
    const entrypoint = image?.entrypoint ?? [];
    if (!(entrypoint.length === 1 && entrypoint[0] === '')) command = entrypoint;
  }
  const env: Record<string, string> = { PATH: DEFAULT_PATH };
  const put = (kv: string) => {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  };
  for (const kv of image?.env ?? []) put(kv);
  env.HOSTNAME = hostname;
  if (c.tty) env.TERM = 'xterm';
  for (const e of c.envs ?? []) if (e.key) env[e.key] = e.value ?? '';
  return { argv: [...command, ...args], env, cwd: c.working_dir || image?.workingDir || '/' };
}
