import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient, type ControlError } from '../control/client';
import { routes } from '../control/routes';
import { type Harness, containerConfig, podConfig, startHarness } from './harness';

// Issue 13: bounds on every input. Each is answered INVALID_ARGUMENT (or
// RESOURCE_EXHAUSTED for sizes and counts), naming the field, and changes
// nothing; fakecri carries on.
describe('bounds', () => {
  let h: Harness;
  let api: ControlClient;
  let sandbox = '';
  let container = '';
  const pod = podConfig('p', { uid: 'uid-p' });

  beforeAll(async () => {
    h = await startHarness();
    api = new ControlClient({ socket: h.server.controlSocket });
    await h.img('PullImage', { image: { image: 'busybox' } });
    sandbox = (await h.rt('RunPodSandbox', { config: pod })).pod_sandbox_id;
    container = (await h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: containerConfig('c', 'busybox'), sandbox_config: pod })).container_id;
    await h.rt('StartContainer', { container_id: container });
  });
  afterAll(() => h.close());

  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e) => e as Error & { code: number; details: string; status?: number });
  const create = (config: object) => h.rt('CreateContainer', { pod_sandbox_id: sandbox, config: { ...containerConfig('x', 'busybox'), ...config }, sandbox_config: pod });

  it.each([
    ['a string over 1 MiB anywhere', () => create({ envs: [{ key: 'BIG', value: Buffer.alloc(2 ** 20 + 1, 'v') }] }), 'INVALID_ARGUMENT', /^config\.envs\[0\]\.value is 1048577 bytes long, more than the 1048576 allowed$/],
    ['a list over 100,000 items', () => create({ args: Array.from({ length: 100_001 }, () => 'a') }), 'INVALID_ARGUMENT', /^config\.args has 100001 items, more than the 100000 allowed$/],
    ['a message over 16 MiB', () => create({ envs: Array.from({ length: 20 }, (_, i) => ({ key: `K${i}`, value: Buffer.alloc(1000 * 1000, 'v') })) }), 'RESOURCE_EXHAUSTED', /larger than max/],
    ['an ExecSync timeout over a year', () => h.rt('ExecSync', { container_id: container, cmd: ['true'], timeout: 400 * 24 * 3600 }), 'INVALID_ARGUMENT', /^timeout 34560000 is not a whole number from 0 to 31536000$/],
    ['an ExecSync command of more than 32768 words', () => h.rt('ExecSync', { container_id: container, cmd: Array.from({ length: 40_000 }, () => 'x') }), 'INVALID_ARGUMENT', /^cmd has 40000 words, more than the 32768 allowed$/],
    ['a failpoint of 101 terms', () => h.rt('RunPodSandbox', { config: { ...podConfig('fp'), annotations: { 'fakecri.io/failpoint.Version': Array(101).fill('1*off').join('->') } } }), 'INVALID_ARGUMENT', /^annotation "fakecri\.io\/failpoint\.Version": 101 terms, more than the 100 allowed$/],
    ['a failpoint delay over a year', () => h.rt('RunPodSandbox', { config: { ...podConfig('fp'), annotations: { 'fakecri.io/failpoint.Version': '1*delay(99999999999999)' } } }), 'INVALID_ARGUMENT', /delay\(99999999999999\) is longer than 365 days/],
    ['a cgroup parent with ".."', () => h.rt('RunPodSandbox', { config: { ...podConfig('cg'), linux: { cgroup_parent: '/kubepods/../..' } } }), 'INVALID_ARGUMENT', /^config\.linux\.cgroup_parent "\/kubepods\/\.\.\/\.\.": contains "\.\."/],
    ['a NUL in a container\'s args', () => create({ command: ['sh', '-c'], args: ['x\u0000'] }), 'INVALID_ARGUMENT', /^config\.args\[0\] contains a NUL byte/],
    ['a log path with ".." inside', () => create({ log_path: 'x/../../y.log' }), 'INVALID_ARGUMENT', /^log_path "x\/\.\.\/\.\.\/y\.log" must be relative/],
  ] as const)('%s', async (_what, call, code, message) => {
    const before = (await h.rt('ListContainers')).containers.length;
    const err = await failure(call());
    expect(err, 'the call should fail').toBeDefined();
    expect(status[err!.code]).toBe(code);
    expect(err!.details).toMatch(message);
    expect((await h.rt('ListContainers')).containers.length).toBe(before);
    expect((await h.rt('Version')).version).toBe('0.1.0');
  });

  // Once a RangeError from AbortSignal.timeout (UNKNOWN), and timers past
  // 2^31 ms fired at once.
  it('an ExecSync timeout of a year is honoured as given, not an internal error', async () => {
    const r = await h.rt('ExecSync', { container_id: container, cmd: ['echo', 'hi'], timeout: 365 * 24 * 3600 });
    expect(Buffer.from(r.stdout).toString()).toBe('hi\n');
  });

  it.each([
    ['a fault rule message over 4096 characters', () => api.call('POST', routes.faults, { action: { type: 'error', code: 'INTERNAL', message: 'm'.repeat(4097) } }), 400, /fault rule field "action.message"/],
    ['a fault rule with 65 RPCs', () => api.call('POST', routes.faults, { rpcs: Array(65).fill('Version'), action: { type: 'hang' } }), 400, /fault rule field "rpcs"/],
    ['a fault rule delay over a year', () => api.call('POST', routes.faults, { action: { type: 'delay', delay: '400d' } }), 400, /fault rule field "action.delay": must be at most 365 days/],
    ['a request body nested 100 deep', () => api.call('POST', routes.faults, JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`)), 400, /nested deeper than 32 levels/],
    ['an exec script command over 4096 characters', () => api.call('POST', routes.containerExecScripts(container), { exit_code: 1, command: 'c'.repeat(4097) }), 400, /field "command"/],
    ['a path that is not valid percent-encoding', () => api.call('GET', '/v1/containers/%ff/behaviour'), 400, /the path segment "%ff" is not valid percent-encoding/],
    ['an exit message over 4096 characters', () => api.call('POST', routes.containerExit(container), { code: 1, message: 'm'.repeat(4097) }), 400, /field "message"/],
  ] as const)('control API: %s', async (_what, call, httpStatus, message) => {
    const err = (await failure(call())) as ControlError | undefined;
    expect(err).toBeDefined();
    expect(err!.status).toBe(httpStatus);
    expect(err!.message).toMatch(message);
  });

  it('fault rules are at most 1000: the next one is RESOURCE_EXHAUSTED (507)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 1000; i++) ids.push((await api.call<{ id: string }>('POST', routes.faults, { rpcs: ['Attach'], action: { type: 'hang' } })).id);
    const err = (await failure(api.call('POST', routes.faults, { rpcs: ['Attach'], action: { type: 'hang' } }))) as ControlError | undefined;
    expect(err?.status).toBe(507);
    expect(err?.message).toMatch(/there are already 1000/);
    for (const id of ids) await api.call('DELETE', routes.fault(id));
    expect((await h.rt('Version')).version).toBe('0.1.0');
  });
});
