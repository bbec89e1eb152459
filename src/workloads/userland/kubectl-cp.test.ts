import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Pod, client, makePod } from './streams-testkit';

// kubectl cp runs tar in the container through exec (cp.go): `tar cf -
// PATH` to copy out, `tar -xmf - -C DIR` (or with --no-same-permissions
// --no-same-owner) to copy in, the archive on stdin.
const hasTar = spawnSync('tar', ['--version']).status === 0;

describe.skipIf(!hasTar)('kubectl cp through exec and the tar applet', () => {
  let pod: Pod;
  let host: string;
  beforeEach(() => {
    pod = makePod();
    host = mkdtempSync(join(tmpdir(), 'fakecri-cp-'));
  });
  afterEach(() => {
    pod.close();
    rmSync(host, { recursive: true, force: true });
  });

  it('copies out: tar cf - PATH streams an archive GNU tar reads, large files and long names too', async () => {
    const c = pod.start('c', { command: ['sleep', '3600'] });
    const long = 'd'.repeat(60) + '/' + 'f'.repeat(80) + '.txt';
    const setup = await pod.programs.exec(
      c,
      ['sh', '-c', `mkdir -p /data/${long.split('/')[0]} && echo small > /data/small.txt && echo deep > /data/${long} && dd if=/dev/urandom of=/data/big bs=65536 count=48 2>/dev/null && ln -s small.txt /data/link && md5sum /data/big`],
      new AbortController().signal,
    );
    expect(setup.exitCode).toBe(0);
    const bigSum = setup.stdout.toString().split(' ')[0];
    const cl = client({ stdin: false });
    const status = await pod.programs.execStream(c, ['tar', 'cf', '-', '/data'], cl.io);
    expect(status).toBe(0);
    expect(cl.stderr.text).toBe("tar: removing leading '/' from member names\n");
    const x = spawnSync('tar', ['-xf', '-', '-C', host], { input: cl.stdout.buffer });
    expect(x.stderr.toString()).toBe('');
    expect(readFileSync(join(host, 'data/small.txt'), 'utf8')).toBe('small\n');
    expect(readFileSync(join(host, 'data', long), 'utf8')).toBe('deep\n');
    expect(readFileSync(join(host, 'data/link'), 'utf8')).toBe('small\n');
    expect(createHash('md5').update(readFileSync(join(host, 'data/big'))).digest('hex')).toBe(bigSum);
  });

  for (const [format, argv] of [
    ['ustar', ['tar', '-xmf', '-', '-C', '/dest']],
    ['pax', ['tar', '--no-same-permissions', '--no-same-owner', '-xmf', '-', '-C', '/dest']],
  ] as const) {
    it(`copies in: ${argv.join(' ')} takes a ${format} archive from stdin in odd-sized chunks`, async () => {
      const c = pod.start('c', { command: ['sleep', '3600'] });
      mkdirSync(join(host, 'src/sub'), { recursive: true });
      writeFileSync(join(host, 'src/a.txt'), 'alpha\n');
      const name = format === 'pax' ? 'n'.repeat(120) : 'sub/b.bin';
      const big = Buffer.alloc(3 * 1024 * 1024 + 17);
      for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
      writeFileSync(join(host, 'src', name), big);
      const archive = spawnSync('tar', [`--format=${format}`, '-cf', '-', '-C', host, 'src'], { maxBuffer: 64 * 2 ** 20 }).stdout;
      expect(archive.length).toBeGreaterThan(big.length);
      expect((await pod.programs.exec(c, ['mkdir', '/dest'], new AbortController().signal)).exitCode).toBe(0);
      const cl = client();
      const done = pod.programs.execStream(c, [...argv], cl.io);
      for (let at = 0; at < archive.length; at += 3001) {
        if (!cl.stdin.write(archive.subarray(at, at + 3001))) await new Promise((r) => cl.stdin.once('drain', r));
      }
      cl.stdin.end();
      expect(await done).toBe(0);
      expect(cl.stderr.text).toBe('');
      const check = await pod.programs.exec(c, ['sh', '-c', `cat /dest/src/a.txt; md5sum "/dest/src/${name}" | cut -d' ' -f1`], new AbortController().signal);
      expect(check.stdout.toString()).toBe(`alpha\n${createHash('md5').update(big).digest('hex')}\n`);
    });
  }
});
