import type { ImageRecord } from '../../store/image-store';
import type { Applet } from '../applets/types';
import type { SignalName } from '../procs/types';

// A program of the image that fakecri does not emulate in detail: pause,
// nginx, agnhost's servers, a user's /app/server. It does nothing until a
// stop signal, then exits 0, as pause and well-behaved servers do on
// SIGTERM, SIGINT and SIGQUIT (nginx's STOPSIGNAL); SIGHUP is a reload.
const STOP: readonly SignalName[] = ['TERM', 'INT', 'QUIT'];

const program: Applet = async (ctx) => {
  const proc = ctx.proc;
  for (const sig of STOP) proc.setDisposition(sig, 'handle');
  proc.setDisposition('HUP', 'ignore');
  await new Promise<void>((resolve, reject) => {
    const off = proc.onSignal(() => {
      if (!proc.takeSignals().some((s) => STOP.includes(s))) return;
      off();
      proc.killed.removeEventListener('abort', onKill);
      resolve();
    });
    const onKill = () => {
      off();
      reject(proc.killed.reason);
    };
    if (proc.killed.aborted) return onKill();
    proc.killed.addEventListener('abort', onKill, { once: true });
  });
  return 0;
};

export function imageProgram(_name: string): Applet {
  return program;
}

// The image's own programs its files hold: its entrypoint, when it names
// an absolute path.
export function imagePrograms(image: ImageRecord | undefined): string[] {
  const first = image?.config?.entrypoint?.[0];
  return first?.startsWith('/') ? [first] : [];
}
