// What an image's config says about running it (the OCI image config's
// `config` object), as far as fakecri's containers use it.
export interface ImageConfig {
  entrypoint?: string[];
  cmd?: string[];
  env?: string[]; // "KEY=value"
  workingDir?: string;
  stopSignal?: string; // "SIGQUIT"
  // Which files the image holds: `busybox` links busybox's applets in /bin
  // and a command it does not have is "not found"; `opaque` (an image we
  // know nothing of) also gets the applets, but a program it does not have
  // is taken for one of the image's own and runs until stopped.
  userland?: 'busybox' | 'opaque';
  // Files its layers hold over the defaults (a catalog entry's `files`).
  files?: Record<string, string>;
}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined;

// The fields of a real image config blob fakecri uses; anything malformed
// is left out rather than failing the pull, as the runtime would only
// fail later when it needs the field.
export function parseImageConfig(blob: Buffer): { config: ImageConfig; user?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(blob.toString('utf8'));
  } catch {
    return { config: {} };
  }
  const c = ((doc ?? {}) as { config?: Record<string, unknown> }).config ?? {};
  const config: ImageConfig = {};
  const entrypoint = strings(c.Entrypoint);
  const cmd = strings(c.Cmd);
  const env = strings(c.Env);
  if (entrypoint) config.entrypoint = entrypoint;
  if (cmd) config.cmd = cmd;
  if (env) config.env = env;
  if (typeof c.WorkingDir === 'string' && c.WorkingDir) config.workingDir = c.WorkingDir;
  if (typeof c.StopSignal === 'string' && c.StopSignal) config.stopSignal = c.StopSignal;
  const user = typeof c.User === 'string' && c.User ? c.User : undefined;
  return { config, ...(user ? { user } : {}) };
}

// What fakecri knows of the images pods use most, as their real configs
// say (docker.io/library/busybox, registry.k8s.io/pause, nginx, httpd, agnhost).
// The user's [[images.catalog]] entries come first and win.
export const BUILTIN_IMAGES: { match: string; config: ImageConfig }[] = [
  { match: '*busybox*', config: { cmd: ['sh'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], userland: 'busybox' } },
  { match: '*pause*', config: { entrypoint: ['/pause'], userland: 'opaque' } },
  {
    match: '*nginx*',
    config: {
      entrypoint: ['/docker-entrypoint.sh'],
      cmd: ['nginx', '-g', 'daemon off;'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      stopSignal: 'SIGQUIT',
      userland: 'opaque',
    },
  },
  // The official httpd image (the e2e test image is its alpine flavour).
  {
    match: '*/httpd:*',
    config: {
      cmd: ['httpd-foreground'],
      env: ['PATH=/usr/local/apache2/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HTTPD_PREFIX=/usr/local/apache2'],
      workingDir: '/usr/local/apache2',
      userland: 'busybox',
    },
  },
  // agnhost is built on busybox-like alpine: its shell and applets are there.
  { match: '*agnhost*', config: { entrypoint: ['/agnhost'], cmd: ['pause'], userland: 'busybox' } },
];
