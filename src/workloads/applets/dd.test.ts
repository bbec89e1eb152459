import { describe, expect, it } from 'vitest';
import { applets } from './index';
import { memoryContainer } from './test-context';

const MiB = 1024 * 1024;
const setup = (capacity?: number) => memoryContainer(applets, { capacity });

// The summary's last line, with the time and rate made fixed.
const summary = (stderr: string) => stderr.replace(/copied, \d+\.\d{6} seconds, [\d.]+[KMGT]?B\/s/, 'copied, T seconds, R/s');

describe('dd', () => {
  it('copies blocks and reports records in busybox words', async () => {
    const { container: c, fs } = setup();
    const r = await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/f', 'bs=1M', 'count=1']);
    expect(r.status).toBe(0);
    expect(summary(r.stderr)).toBe('1+0 records in\n1+0 records out\n1048576 bytes (1.0MB) copied, T seconds, R/s\n');
    expect(r.stderr).toMatch(/copied, \d+\.\d{6} seconds, [\d.]+[KMGT]?B\/s\n$/);
    expect(fs.stat('/tmp/f').size).toBe(MiB);
  });

  it('counts partial records, reads stdin and writes stdout by default', async () => {
    const { container: c } = setup();
    const r = await c.exec(['dd', 'bs=4'], { input: 'hello world' });
    expect(r.stdout).toBe('hello world');
    expect(r.stderr.split('\n').slice(0, 2)).toEqual(['2+1 records in', '2+1 records out']);
    const q = await c.exec(['dd', 'bs=4', 'status=none'], { input: 'abc' });
    expect(q).toMatchObject({ stdout: 'abc', stderr: '' });
    const n = await c.exec(['dd', 'status=noxfer'], { input: 'abc' });
    expect(n.stderr).toBe('0+1 records in\n0+1 records out\n');
  });

  it('takes skip, seek, count, conv=notrunc and size suffixes', async () => {
    const { container: c } = setup();
    await c.exec(['dd', 'of=/tmp/f', 'status=none'], { input: '0123456789' });
    await c.exec(['dd', 'of=/tmp/f', 'bs=1', 'seek=2', 'conv=notrunc', 'status=none'], { input: 'ab' });
    expect((await c.exec(['cat', '/tmp/f'])).stdout).toBe('01ab456789');
    await c.exec(['dd', 'of=/tmp/f', 'bs=1', 'seek=3', 'status=none'], { input: 'Z' });
    expect((await c.exec(['cat', '/tmp/f'])).stdout).toBe('01aZ');
    expect((await c.exec(['dd', 'if=/tmp/f', 'bs=1', 'skip=1', 'count=2', 'status=none'])).stdout).toBe('1a');
    const big = await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/z', 'bs=2k', 'count=1w']);
    expect(big.stderr).toMatch(/^2\+0 records in\n2\+0 records out\n4096 bytes \(4\.0KB\)/);
    const kb = await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/z', 'bs=1kB', 'count=1']);
    expect(kb.stderr).toMatch(/1000 bytes \(1000B\)/);
  });

  it('splits blocks between ibs and obs, pads with conv=sync, and reads fullblock', async () => {
    const { container: c } = setup();
    const r = await c.exec(['dd', 'ibs=3', 'obs=2'], { input: 'abcdefg' });
    expect(r.stdout).toBe('abcdefg');
    expect(r.stderr.split('\n').slice(0, 2)).toEqual(['2+1 records in', '3+1 records out']);
    const s = await c.exec(['dd', 'bs=4', 'conv=sync', 'status=none'], { input: 'ab' });
    expect(s.out).toEqual(Buffer.from('ab\0\0'));
    const sw = await c.exec(['dd', 'conv=swab', 'status=none'], { input: 'qwe' });
    expect(sw.stdout).toBe('wqe');
  });

  it('says what is wrong: bad operands, files it cannot open', async () => {
    const { container: c } = setup();
    expect(await c.exec(['dd', 'if=/nope'])).toMatchObject({ status: 1, stderr: "dd: can't open '/nope': No such file or directory\n" });
    expect(await c.exec(['dd', 'bs=x'])).toMatchObject({ status: 1, stderr: "dd: invalid number 'x'\n" });
    // No GNU products (busybox 1.35).
    expect(await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/p', 'bs=1x2', 'count=1'])).toMatchObject({ status: 1, stderr: "dd: invalid number '1x2'\n" });
    expect(await c.exec(['dd', 'conv=bogus'])).toMatchObject({ status: 1, stderr: "dd: invalid argument 'bogus' to 'conv'\n" });
    const u = await c.exec(['dd', 'foo']);
    expect(u.status).toBe(1);
    expect(u.stderr).toContain('Usage: dd');
    expect(await c.exec(['dd', 'of=/nope/x'], { input: 'a' })).toMatchObject({ status: 1, stderr: "dd: can't open '/nope/x': No such file or directory\n" });
  });

  it('fills the disk: a short last record, the error, the summary and status 1', async () => {
    const { container: c, fs } = setup(4 * MiB);
    const r = await c.exec(['dd', 'if=/dev/zero', 'of=/tmp/fill', 'bs=1M', 'count=10']);
    expect(r.status).toBe(1);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe("dd: error writing '/tmp/fill': No space left on device");
    expect(lines[1]).toMatch(/^\d+\+0 records in$/);
    expect(lines[2]).toMatch(/^\d+\+0 records out$/);
    const size = fs.stat('/tmp/fill').size;
    expect(size).toBeGreaterThan(2 * MiB);
    expect(size).toBeLessThanOrEqual(4 * MiB);
    expect(lines[3]).toMatch(new RegExp(`^${size} bytes `));
    const full = Number(/^(\d+)\+0 records out$/.exec(lines[2])![1]);
    expect(full).toBe(Math.floor(size / MiB));
  });

  it('copies 1 GiB from /dev/urandom in O(1) memory, and the bytes read back the same', async () => {
    const { container: c, fs } = setup(2 * 1024 * MiB);
    const before = process.memoryUsage().heapUsed;
    const r = await c.exec(['dd', 'if=/dev/urandom', 'of=/tmp/big', 'bs=1M', 'count=1024']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^1024\+0 records in\n1024\+0 records out\n1073741824 bytes \(1\.0GB\) copied/);
    expect(fs.stat('/tmp/big').size).toBe(1024 * MiB);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(64 * MiB);
    // A copy of a piece gives the same bytes as the original piece.
    await c.exec(['dd', 'if=/tmp/big', 'of=/tmp/piece', 'bs=4096', 'skip=100', 'count=2', 'status=none']);
    const a = await c.exec(['dd', 'if=/tmp/big', 'bs=4096', 'skip=100', 'count=2', 'status=none']);
    const b = await c.exec(['cat', '/tmp/piece']);
    expect(a.out.length).toBe(8192);
    expect(b.out.equals(a.out)).toBe(true);
    expect(a.out.equals(Buffer.alloc(8192))).toBe(false);
  });

  it('writes to a read-only place fail with EROFS words', async () => {
    const { container: c } = setup();
    const r = await c.exec(['dd', 'if=/dev/zero', 'of=/etc/passwd', 'count=1'], { identity: { uid: 1000, gid: 1000, groups: [] } });
    expect(r).toMatchObject({ status: 1, stderr: "dd: can't open '/etc/passwd': Permission denied\n" });
  });
});
