import { existsSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useChildren } from './cli';
import { until } from './wait';
import { makeClient } from './harness';

describe('fakecri serve', () => {
  const { tmp, run } = useChildren('serve');
  const start = run;

  it('serves on a 0660 socket and shuts down cleanly on SIGTERM, removing the socket', async () => {
    const dir = tmp();
    const sock = join(dir, 'run', 'cri.sock');
    const child = start(['serve', '--socket', sock, '--state-dir', join(dir, 'state')]);
    await until('fakecri to serve', () => child.stderr().includes('fakecri serving'));
    expect(statSync(sock).mode & 0o777).toBe(0o660);
    const rt = makeClient(sock, 'RuntimeService');
    expect((await rt.call('Version')).version).toBe('0.1.0');
    rt.close();
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    expect(existsSync(sock)).toBe(false);
    expect(child.stderr()).toContain('fakecri stopped');
  });

  it('refuses to start when something answers on the socket', async () => {
    const dir = tmp();
    const sock = join(dir, 'cri.sock');
    const other = createServer().listen(sock);
    await new Promise((r) => other.once('listening', r));
    try {
      const child = start(['serve', '--socket', sock, '--state-dir', join(dir, 'state')]);
      expect(await child.exited).toBe(2);
      expect(child.stderr()).toContain(`something is already serving on ${sock}`);
      expect(existsSync(sock)).toBe(true);
    } finally {
      other.close();
    }
  });

  it('refuses to replace a file that is not a socket', async () => {
    const dir = tmp();
    const sock = join(dir, 'cri.sock');
    writeFileSync(sock, 'precious');
    const child = start(['serve', '--socket', sock, '--state-dir', join(dir, 'state')]);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toContain('exists and is not a socket');
  });

  it.each([
    ['an unknown key', '[runtime]\nnmae = "x"\n', /unknown key "runtime\.nmae"/],
    ['an unknown section', '[bogus]\na = 1\n', /unknown key "bogus"/],
    ['a bad enum value', '[runtime]\ncgroup_driver = "cgroupv3"\n', /key "runtime\.cgroup_driver"/],
    ['a bad pod CIDR', '[network]\ndefault_pod_cidr = "10.0.0.0"\n', /key "network\.default_pod_cidr": "10\.0\.0\.0" is not a CIDR/],
    ['a bad size', '[images.sizes]\n"nginx:1" = "lots"\n', /key "images\.sizes\.nginx:1": "lots" is not a byte quantity/],
    ['a wrong type', '[status]\nruntime_ready = "yes"\n', /key "status\.runtime_ready"/],
    ['broken TOML', '[runtime\n', /not valid TOML/],
  ])('fails at start-up on %s in the config, naming it', async (_what, toml, message) => {
    const dir = tmp();
    const file = join(dir, 'fakecri.toml');
    writeFileSync(file, toml);
    const child = start(['serve', '--config', file, '--socket', join(dir, 's.sock'), '--state-dir', join(dir, 'state')]);
    expect(await child.exited).toBe(2);
    expect(child.stderr()).toMatch(message);
    expect(child.stderr()).toContain(file);
  });

  it('takes options from the config file: runtime name, cgroup driver, socket', async () => {
    const dir = tmp();
    const sock = join(dir, 'from-config.sock');
    const file = join(dir, 'fakecri.toml');
    writeFileSync(file, `[server]\nsocket = "${sock}"\nstate_dir = "${join(dir, 'state')}"\n[runtime]\nname = "containerd"\ncgroup_driver = "systemd"\n`);
    const child = start(['serve', '--config', file]);
    await until('fakecri to serve', () => child.stderr().includes('fakecri serving'));
    const rt = makeClient(sock, 'RuntimeService');
    expect((await rt.call('Version')).runtime_name).toBe('containerd');
    expect((await rt.call('RuntimeConfig')).linux.cgroup_driver).toBe('SYSTEMD');
    rt.close();
  });

  it('version and --help work on every command', async () => {
    const v = start(['version']);
    expect(await v.exited).toBe(0);
    expect(v.stderr()).toMatch(/^fakecri 0\.1\.0\nCRI runtime\.v1 \(kubernetes\/cri-api v0\.36\.3\)/);
    for (const args of [['--help'], ['serve', '--help'], ['version', '--help']]) {
      const c = start(args);
      expect(await c.exited).toBe(0);
      expect(c.stderr()).toContain('Usage: fakecri');
    }
  });
});
