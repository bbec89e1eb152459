import type { ImageRecord } from '../../store/image-store';
import type { Applet } from '../applets/types';
import { agnhost } from './servers/agnhost';
import { dockerEntrypoint, nginx, nginxFiles } from './servers/nginx';
import { catchStop } from './servers/stop';

// A program of the image: nginx and agnhost are emulated as servers on the
// pod network (servers/); any other (pause, a user's /app/server) does
// nothing until a stop signal, then exits 0, as pause and well-behaved
// servers do.
const idle: Applet = async (ctx) => {
  await catchStop(ctx.proc).done;
  return 0;
};

const PROGRAMS: Record<string, Applet> = {
  nginx,
  'nginx-debug': nginx,
  'docker-entrypoint.sh': dockerEntrypoint,
  agnhost,
};

export function imageProgram(name: string): Applet {
  return PROGRAMS[name] ?? idle;
}

const isNginx = (image: ImageRecord | undefined) => [...(image?.repoTags ?? []), ...(image?.repoDigests ?? [])].some((r) => /(^|\/)nginx[:@]/.test(r));

// The image's own programs its files hold: its entrypoint, when it names
// an absolute path, and nginx's binary.
export function imagePrograms(image: ImageRecord | undefined): string[] {
  const first = image?.config?.entrypoint?.[0];
  const out = first?.startsWith('/') ? [first] : [];
  if (isNginx(image)) out.push('/usr/sbin/nginx');
  return out;
}

// Files the images fakecri emulates ship with (nginx's html and config).
export function imageFiles(image: ImageRecord | undefined): Record<string, string> {
  return isNginx(image) ? nginxFiles(image?.repoTags[0]) : {};
}
