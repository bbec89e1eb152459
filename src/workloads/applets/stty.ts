import type { Terminal, TerminalModes } from '../procs/types';
import { applet } from './common/tool';

// stty: the terminal of stdin (exec -t, a container with tty). size, -a,
// -g, rows/cols, and the modes the line discipline honours (echo, icanon,
// isig, icrnl, onlcr, raw, cooked, sane); other known settings are taken
// and change nothing.

const FLAGS: Record<string, keyof TerminalModes> = { echo: 'echo', icanon: 'icanon', isig: 'isig', icrnl: 'icrnl', onlcr: 'onlcr' };

// Settings stty knows that the fake terminal does not model.
const OTHER = new Set(
  ('parenb parodd cs5 cs6 cs7 cs8 hupcl hup cstopb cread clocal crtscts ignbrk brkint ignpar parmrk inpck istrip inlcr igncr ' +
    'ixon ixoff iuclc ixany imaxbel iutf8 opost olcuc ocrnl onocr onlret ofill ofdel iexten echoe echok echonl noflsh xcase ' +
    'tostop echoprt echoctl echoke crterase crtkill ctlecho pass8 litout evenp oddp parity nl ek decctlq tabs lcase LCASE').split(' '),
);

const SANE: TerminalModes = { echo: true, icanon: true, isig: true, icrnl: true, onlcr: true };

export const stty = applet(async (t) => {
  const args = t.args.filter((a, i) => !(a === '-F' || t.args[i - 1] === '-F'));
  const tty = t.ctx.stdin.tty;
  // tcgetattr's ENOTTY, said of the device (perror_on_device_and_die).
  const f = t.args.indexOf('-F');
  const device = f >= 0 && f + 1 < t.args.length ? t.args[f + 1] : 'standard input';
  if (!tty) return t.die(`${device}: Inappropriate ioctl for device`);
  const { rows, cols } = size(tty, t.ctx.env);
  if (args[0] === 'size') {
    await t.out.text(`${rows} ${cols}\n`);
    return 0;
  }
  if (args.length === 0) {
    await t.out.text('speed 38400 baud; line = 0;\n');
    return 0;
  }
  if (args[0] === '-a') {
    await t.out.text(all(tty, rows, cols));
    return 0;
  }
  if (args[0] === '-g') {
    await t.out.text(saved(tty.modes));
    return 0;
  }
  const modes: Partial<TerminalModes> = {};
  let newRows = tty.rows;
  let newCols = tty.cols;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const off = a.startsWith('-');
    const name = off ? a.slice(1) : a;
    if (FLAGS[name]) modes[FLAGS[name]] = !off;
    else if (name === 'raw') Object.assign(modes, off ? { icanon: true, isig: true, icrnl: true, onlcr: true } : { icanon: false, isig: false, icrnl: false, onlcr: false });
    else if (name === 'cbreak') modes.icanon = off;
    else if (name === 'cooked') Object.assign(modes, off ? { icanon: false, isig: false, icrnl: false, onlcr: false } : { icanon: true, isig: true, icrnl: true, onlcr: true });
    else if (name === 'sane' && !off) Object.assign(modes, SANE);
    else if (name === 'rows' || name === 'cols' || name === 'columns' || name === 'min' || name === 'time' || name === 'line' || name === 'speed' || name === 'ispeed' || name === 'ospeed') {
      const v = args[++i];
      if (v === undefined) return t.die(`missing argument to '${a}'`);
      if (!/^\d+$/.test(v)) return t.die(`invalid number '${v}'`);
      if (name === 'rows') newRows = Number(v);
      if (name === 'cols' || name === 'columns') newCols = Number(v);
    } else if (!OTHER.has(name) && !/^\d+$/.test(name)) return t.die(`invalid argument '${a}'`);
  }
  tty.setModes(modes);
  tty.setSize(newRows, newCols);
  return 0;
});

// The window size as busybox's get_terminal_width_height has it: $LINES
// and $COLUMNS win, then the terminal's, then 24x80.
function size(tty: Terminal, env: Readonly<Record<string, string>>): { rows: number; cols: number } {
  const pick = (v: number, def: number) => (v > 1 && v < 30000 ? v : def);
  return { rows: pick(Number(env.LINES) || tty.rows, 24), cols: pick(Number(env.COLUMNS) || tty.cols, 80) };
}

const flag = (on: boolean, name: string) => (on ? name : `-${name}`);

function all(tty: Terminal, rows: number, cols: number): string {
  const m = tty.modes;
  return (
    `speed 38400 baud;rows ${rows};columns ${cols}; line = 0;\n` +
    'intr = ^C; quit = ^\\; erase = ^?; kill = ^U; eof = ^D; eol = <undef>; eol2 = <undef>; swtch = <undef>; start = ^Q;\n' +
    'stop = ^S; susp = ^Z; rprnt = ^R; werase = ^W; lnext = ^V; flush = ^O; min = 1; time = 0;\n' +
    '-parenb -parodd cs8 hupcl -cstopb cread -clocal -crtscts\n' +
    `-ignbrk -brkint -ignpar -parmrk -inpck -istrip -inlcr -igncr ${flag(m.icrnl, 'icrnl')} ixon -ixoff -iuclc -ixany imaxbel iutf8\n` +
    `opost -olcuc -ocrnl ${flag(m.onlcr, 'onlcr')} -onocr -onlret -ofill -ofdel nl0 cr0 tab0 bs0 vt0 ff0\n` +
    `${flag(m.isig, 'isig')} ${flag(m.icanon, 'icanon')} iexten ${flag(m.echo, 'echo')} echoe echok -echonl -noflsh -xcase -tostop -echoprt echoctl echoke\n`
  );
}

// -g: iflag:oflag:cflag:lflag:cc…, in hex, as stty can read back.
function saved(m: TerminalModes): string {
  const iflag = 0x6400 | (m.icrnl ? 0x100 : 0);
  const oflag = 0x1 | (m.onlcr ? 0x4 : 0);
  const lflag = 0x8a30 | (m.isig ? 0x1 : 0) | (m.icanon ? 0x2 : 0) | (m.echo ? 0x8 : 0);
  const cc = [3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0xf, 0x17, 0x16, ...new Array<number>(16).fill(0)];
  return [iflag, oflag, 0x4bf, lflag, ...cc].map((n) => n.toString(16)).join(':') + '\n';
}
