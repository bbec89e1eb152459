import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

// `fakecri ctl` as a user runs it, against a running fakecri.
describe('fakecri ctl', () => {
  let h: Harness;
  let containerId = '';
  beforeAll(async () => {
    h = await startHarness({ filesystems: { imagefs: { capacity: '1Gi' } } });
    await h.img('PullImage', { image: { image: 'nginx:1.25' } });
    const s = (await h.rt('RunPodSandbox', { config: podConfig('web') })).pod_sandbox_id;
    containerId = (await h.rt('CreateContainer', { pod_sandbox_id: s, config: containerConfig('app', 'nginx:1.25'), sandbox_config: podConfig('web') })).container_id;
    await h.rt('StartContainer', { container_id: containerId });
  });
  afterAll(() => h.close());

  const ctl = async (...args: string[]) => {
    const c = runCli(['ctl', '--socket', h.socket, ...args]);
    const code = await c.exited;
    return { code, out: c.stderr() };
  };

  it('shows pods, containers, images and the filesystems as tables', async () => {
    expect((await ctl('pods')).out).toMatch(/POD ID\s+NAMESPACE\/NAME\s+STATE[\s\S]*default\/web\s+ready/);
    expect((await ctl('containers')).out).toMatch(new RegExp(`${containerId.slice(0, 13)}\\s+app\\s+default/web\\s+running`));
    expect((await ctl('images')).out).toMatch(/docker\.io\/library\/nginx:1\.25/);
    const fs = await ctl('fs');
    expect(fs.code).toBe(0);
    expect(fs.out).toMatch(/imagefs\s+memory\s+1\.0GiB/);
  });

  it('fills and drains a filesystem', async () => {
    expect((await ctl('fs', 'fill', 'imagefs', '50%')).out).toMatch(/imagefs: ballast \+/);
    const json = JSON.parse((await ctl('--json', 'fs')).out);
    expect(json[0].usedBytes).toBeGreaterThanOrEqual(2 ** 29);
    expect((await ctl('fs', 'drain', 'imagefs')).out).toMatch(/ballast drained/);
  });

  it('adds, lists and removes a fault; the CRI feels it', async () => {
    const added = await ctl('fault', 'add', '--rpc', 'Version', '--error', 'UNAVAILABLE:maintenance', '--first', '1');
    expect(added.code).toBe(0);
    const id = /fault rule (\w+) added/.exec(added.out)![1];
    expect((await ctl('fault', 'ls')).out).toMatch(new RegExp(`${id}\\s+Version\\s+-\\s+error UNAVAILABLE: maintenance`));
    const err = await h.rt('Version').catch((e) => e);
    expect(err.details).toBe('maintenance');
    expect((await ctl('fault', 'rm', id)).code).toBe(0);
    expect(JSON.parse((await ctl('--json', 'fault', 'ls')).out)).toEqual([]);
  });

  it('refuses a fault without exactly one action, and bad input, with exit code 1', async () => {
    expect(await ctl('fault', 'add', '--rpc', 'Version')).toMatchObject({ code: 1, out: expect.stringMatching(/exactly one action/) });
    expect(await ctl('fault', 'add', '--rpc', 'Bogus', '--hang')).toMatchObject({ code: 1, out: expect.stringMatching(/unknown RPC "Bogus"/) });
    expect(await ctl('container', 'nope', 'exit', '1')).toMatchObject({ code: 1, out: expect.stringMatching(/container "nope" not found/) });
  });

  it('shows the recorded calls', async () => {
    await h.rt('ContainerStatus', { container_id: containerId });
    const calls = await ctl('calls', '--rpc', 'ContainerStatus', '--limit', '1');
    expect(calls.out).toMatch(new RegExp(`ContainerStatus\\s+OK\\s+[\\d.]+ms container_id=${containerId}`));
  });

  it('ends a container with a reason', async () => {
    expect((await ctl('container', containerId.slice(0, 10), 'exit', '137', '--reason', 'OOMKilled')).out).toMatch(/exited 137 \(OOMKilled\)/);
    expect((await h.rt('ContainerStatus', { container_id: containerId })).status).toMatchObject({ exit_code: 137, reason: 'OOMKilled' });
  });

  it('says clearly when fakecri is not there', async () => {
    const c = runCli(['ctl', '--control', '/nonexistent/x-control.sock', 'pods']);
    expect(await c.exited).toBe(2);
    expect(c.stderr()).toMatch(/cannot reach fakecri's control API at \/nonexistent\/x-control\.sock/);
  });
});
