import { describe, expect, it } from 'vitest';
import { Collector, chunkBuffer } from './streams';
import { Tty } from './tty';
import type { SignalName } from './types';

const text = async (p: Promise<unknown>) => {
  const c = await p;
  return c === null ? null : chunkBuffer(c as Buffer).toString();
};

describe('Tty', () => {
  const make = () => {
    const screen = new Collector();
    const tty = new Tty(screen);
    const signals: SignalName[] = [];
    tty.foreground = (s) => signals.push(s);
    return { tty, screen, signals };
  };

  it('canonical mode: a read gets a whole line, with erase, word erase and kill applied; all of it echoed', async () => {
    const { tty, screen } = make();
    await tty.type(Buffer.from('ab\x7fc d\x17e\r'));
    expect(await text(tty.reader.read())).toBe('ac e\n');
    expect(screen.text()).toBe('ab\b \bc d\b \be\r\n');
    await tty.type(Buffer.from('junk\x15ok\n'));
    expect(await text(tty.reader.read())).toBe('ok\n');
  });

  it('^D: end of input at the start of a line, else the line so far without its newline', async () => {
    const { tty } = make();
    await tty.type(Buffer.from('part\x04\x04'));
    expect(await text(tty.reader.read())).toBe('part');
    expect(await text(tty.reader.read())).toBe(null);
  });

  it('^C and ^\\ signal the foreground, drop pending input and echo ^C', async () => {
    const { tty, screen, signals } = make();
    await tty.type(Buffer.from('line\nhalf\x03\x1c'));
    expect(signals).toEqual(['INT', 'QUIT']);
    expect(screen.text()).toBe('line\r\nhalf^C^\\');
    await tty.type(Buffer.from('next\n'));
    expect(await text(tty.reader.read())).toBe('next\n');
  });

  it('raw mode (stty raw -echo): bytes as typed, no echo, no signals, no CR NL', async () => {
    const { tty, screen, signals } = make();
    tty.setModes({ icanon: false, isig: false, icrnl: false, onlcr: false, echo: false });
    await tty.type(Buffer.from('a\x03\r'));
    expect(await text(tty.reader.read())).toBe('a\x03\r');
    await tty.writer.write('x\ny');
    expect(screen.text()).toBe('x\ny');
    expect(signals).toEqual([]);
  });

  it('output gets CR before NL; resizes signal WINCH once per change', async () => {
    const { tty, screen, signals } = make();
    await tty.writer.write('a\nb\n');
    expect(screen.text()).toBe('a\r\nb\r\n');
    tty.setSize(40, 100);
    tty.setSize(40, 100);
    expect([tty.rows, tty.cols, signals]).toEqual([40, 100, ['WINCH']]);
  });

  it('hangup: what was typed reads, then end of input for good; a waiting reader wakes', async () => {
    const { tty } = make();
    const waiting = tty.reader.read();
    await tty.type(Buffer.from('last'));
    tty.hangup();
    expect(await text(waiting)).toBe('last');
    expect(await text(tty.reader.read())).toBe(null);
    expect(await text(tty.reader.read())).toBe(null);
  });

  it('typing waits while too much is unread', async () => {
    const { tty } = make();
    tty.setModes({ icanon: false, echo: false });
    let done = false;
    const typing = tty.type(Buffer.alloc(80 * 1024, 0x61)).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    await tty.reader.read(20 * 1024);
    await typing;
    expect(done).toBe(true);
  });
});
