import { applets } from '../applets';
import type { Applet } from '../applets/types';
import { sh } from '../shell/applet';

// What /bin/busybox can be: every applet, and the shell under its names.
export const commands: ReadonlyMap<string, Applet> = new Map<string, Applet>([...applets, ['sh', sh], ['ash', sh]]);

export const commandNames: readonly string[] = [...commands.keys(), 'busybox'];
