import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

const run = promisify(execFile);
const DIR = join(__dirname, '..', '..', 'scripts', 'faults');

// The ready-made fault scripts: each has --help, and each does what it says
// to a running fakecri.
describe('scripts/faults', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    h = await startHarness({ filesystems: { imagefs: { capacity: '1Gi' } } });
    env = { ...process.env, FAKECRI_SOCKET: h.socket };
  });
  afterAll(() => h.close());
  const script = (name: string, ...args: string[]) => run(join(DIR, name), args, { env });

  it.each(readdirSync(DIR).filter((f) => f.endsWith('.sh') && f !== 'lib.sh'))('%s --help', async (name) => {
    const { stdout } = await script(name, '--help');
    expect(stdout).toMatch(new RegExp(`^Usage: ${name.replace('.', '\\.')}`));
  });

  it('imagefs-fill.sh fills and drains', async () => {
    const { stdout } = await script('imagefs-fill.sh', '25%');
    expect(stdout).toMatch(/imagefs: ballast \+256\.0MiB/);
    expect(Number((await h.img('ImageFsInfo')).image_filesystems[0].used_bytes.value)).toBe(256 * 2 ** 20);
    await script('imagefs-fill.sh', '--drain');
    expect(Number((await h.img('ImageFsInfo')).image_filesystems[0].used_bytes.value)).toBe(0);
  });

  it('runtime-not-ready.sh holds RuntimeReady false until cleared', async () => {
    const { stdout } = await script('runtime-not-ready.sh', '--reason', 'Drill');
    const id = /fault rule (\w+) added/.exec(stdout)![1];
    expect((await h.rt('Status')).status.conditions[0]).toMatchObject({ status: false, reason: 'Drill' });
    await script('runtime-not-ready.sh', '--clear', id);
    expect((await h.rt('Status')).status.conditions[0].status).toBe(true);
  });

  it('slow-runtime.sh delays the PLEG relist calls', async () => {
    const { stdout } = await script('slow-runtime.sh', '--delay', '300ms');
    const id = /fault rule (\w+) added/.exec(stdout)![1];
    const t = Date.now();
    await h.rt('ListPodSandbox');
    expect(Date.now() - t).toBeGreaterThanOrEqual(290);
    await script('slow-runtime.sh', '--clear', id);
  });

  it('pull-failures.sh fails the first pulls as a registry would', async () => {
    await script('pull-failures.sh', '--kind', 'too-many-requests', '--first', '1');
    const err = await h.img('PullImage', { image: { image: 'redis:7' } }).catch((e) => e);
    expect(err.details).toMatch(/toomanyrequests/);
    await h.img('PullImage', { image: { image: 'redis:7' } });
  });

  it('crashloop.sh --now ends a container', async () => {
    const s = (await h.rt('RunPodSandbox', { config: podConfig('p') })).pod_sandbox_id;
    const c = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('c', 'redis:7'), sandbox_config: podConfig('p') })).container_id;
    await h.rt('StartContainer', { container_id: c });
    await script('crashloop.sh', '--now', c, '--code', '137', '--reason', 'OOMKilled');
    expect((await h.rt('ContainerStatus', { container_id: c })).status).toMatchObject({ exit_code: 137, reason: 'OOMKilled' });
  });

  it('a script says what is wrong with its arguments', async () => {
    const err = await script('imagefs-fill.sh').catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/give an AMOUNT/);
  });
});
