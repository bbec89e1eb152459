import type { ImageRecord } from '../../store/image-store';
import type { Applet } from '../applets/types';
import { agnhost } from './servers/agnhost';
import { APACHE_PROGRAMS, apache, apacheFiles, isApacheRef } from './servers/apache';
import { dockerEntrypoint, isNginxRef, nginx, nginxFiles } from './servers/nginx';
import { catchStop } from './servers/stop';

// A program of the image: nginx, Apache httpd and agnhost are emulated as servers on the
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
  // Apache's binary and the official image's script that runs it.
  httpd: apache,
  'httpd-foreground': apache,
};

// Whether applet is the one that only waits for its stop signal.
export const waitsForStop = (applet: Applet): boolean => applet === idle;

export function imageProgram(name: string): Applet {
  return PROGRAMS[name] ?? idle;
}

const refs = (image: ImageRecord | undefined) => [...(image?.repoTags ?? []), ...(image?.repoDigests ?? [])];
const isNginx = (image: ImageRecord | undefined) => refs(image).some(isNginxRef);
const isApache = (image: ImageRecord | undefined) => refs(image).some(isApacheRef);

// The image's own programs its files hold: its entrypoint, when it names
// an absolute path, nginx's binary, Apache's and its httpd-foreground.
export function imagePrograms(image: ImageRecord | undefined): string[] {
  const first = image?.config?.entrypoint?.[0];
  const out = first?.startsWith('/') ? [first] : [];
  if (isNginx(image)) out.push('/usr/sbin/nginx');
  if (isApache(image)) out.push(...APACHE_PROGRAMS);
  return out;
}

// Files the images fakecri emulates ship with (nginx's html and config,
// Apache's page).
export function imageFiles(image: ImageRecord | undefined): Record<string, string> {
  if (isApache(image)) return apacheFiles();
  return isNginx(image) ? nginxFiles(image?.repoTags[0]) : {};
}
