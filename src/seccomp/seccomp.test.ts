import { describe, expect, it } from 'vitest';
import { filterDisallowed, findProfileAnnotation } from './annotations';
import { boundingSet } from './capabilities';
import { DEFAULT_PROFILE } from './default-profile';
import { parseProfile, toLinuxSeccomp } from './profile';

const V2 = 'seccomp-profile.crio.io';
const V1 = 'seccomp-profile.kubernetes.cri-o.io';

describe('annotation precedence (CRI-O TryPull)', () => {
  const all = {
    pod: { [`${V2}/c`]: 'pod-ctr', [`${V1}/c`]: 'pod-ctr-v1', [`${V2}/POD`]: 'pod-pod', [`${V1}/POD`]: 'pod-pod-v1' },
    image: { [V2]: 'img', [V1]: 'img-v1', [`${V2}/c`]: 'img-ctr', [`${V1}/c`]: 'img-ctr-v1', [`${V2}/POD`]: 'img-pod', [`${V1}/POD`]: 'img-pod-v1' },
  };
  // Remove the winner each time and the next step answers.
  it('walks the five steps, v2 before v1 at each', () => {
    const pod: Record<string, string> = { ...all.pod };
    const image: Record<string, string> = { ...all.image };
    const order: string[] = [];
    for (;;) {
      const found = findProfileAnnotation('c', pod, image);
      if (!found) break;
      order.push(found.ref);
      delete (found.ref.startsWith('pod') ? pod : image)[found.key];
    }
    expect(order).toEqual(['pod-ctr', 'pod-ctr-v1', 'pod-pod', 'pod-pod-v1', 'img', 'img-v1', 'img-ctr', 'img-ctr-v1', 'img-pod', 'img-pod-v1']);
  });
  it('says which step matched, in CRI-O words', () => {
    expect(findProfileAnnotation('c', { [`${V1}/POD`]: 'r' }, {})?.message).toBe(`Found pod specific seccomp profile annotation: ${V1}=r`);
    expect(findProfileAnnotation('c', {}, { [`${V2}/c`]: 'r' })?.message).toBe(`Found image specific seccomp profile annotation for container c: ${V2}=r`);
    expect(findProfileAnnotation('c', {}, {})).toBeUndefined();
  });
  it('drops seccomp annotations whose prefix is not allowed', () => {
    const a = { [`${V2}/POD`]: 'x', [`${V1}/POD`]: 'y', other: 'z' };
    expect(filterDisallowed(a, [])).toEqual({ other: 'z' });
    expect(filterDisallowed(a, [V1])).toEqual({ [`${V1}/POD`]: 'y', other: 'z' });
  });
});

describe('profiles', () => {
  it.each([
    ['not json', /^decoding seccomp profile failed: /],
    ['[]', 'decoding seccomp profile failed: the profile must be a JSON object'],
    ['{}', 'decoding seccomp profile failed: defaultAction is required'],
    ['{"defaultAction":"SCMP_ACT_NOPE"}', 'unknown action "SCMP_ACT_NOPE"'],
    ['{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}', "'architectures' and 'archMap' were specified"],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":"read"}', 'syscalls must be an array'],
    ['{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}', "'name' and 'names' were specified"],
    ['{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOPE"}', 'unknown errno ENOPE'],
  ])('refuses %s', (text, message) => {
    expect(() => parseProfile(text)).toThrow(message);
  });

  it('becomes runtime-spec linux.seccomp for the node: archMap, includes/excludes, errno names', () => {
    const p = parseProfile(
      JSON.stringify({
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrno: 'EPERM',
        archMap: [
          { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
          { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
        ],
        syscalls: [
          { name: 'read', action: 'SCMP_ACT_ALLOW' },
          { names: ['mount'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
          { names: ['arch_only'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm64'] } },
          { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errno: 'ENOSYS', excludes: { caps: ['CAP_SYS_ADMIN'] } },
          { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
        ],
      }),
    );
    expect(toLinuxSeccomp(p, boundingSet(), 'amd64')).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
        { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      ],
    });
    const admin = toLinuxSeccomp(p, boundingSet(['SYS_ADMIN']), 'arm64');
    expect(admin.architectures).toEqual(['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
    expect(admin.syscalls?.map((s) => s.names[0])).toEqual(['read', 'mount', 'arch_only', 'personality']);
  });

  it('the bounding set: defaults, add, drop, ALL, privileged', () => {
    expect(boundingSet()).toContain('CAP_CHOWN');
    expect(boundingSet()).not.toContain('CAP_SYS_ADMIN');
    expect(boundingSet(['CAP_SYS_ADMIN'], ['KILL'])).toContain('CAP_SYS_ADMIN');
    expect(boundingSet([], ['KILL'])).not.toContain('CAP_KILL');
    expect(boundingSet(['NET_RAW'], ['ALL'])).toEqual(['CAP_NET_RAW']);
    expect(boundingSet([], [], true)).toContain('CAP_BPF');
  });

  it('the built-in default parses as a profile and denies by default', () => {
    const round = parseProfile(JSON.stringify(DEFAULT_PROFILE));
    const spec = toLinuxSeccomp(round, boundingSet(), 'amd64');
    expect(spec.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(spec.architectures).toEqual(['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
    const allowed = spec.syscalls!.filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args).flatMap((s) => s.names);
    expect(allowed).toEqual(expect.arrayContaining(['read', 'write', 'execve', 'exit_group', 'futex', 'modify_ldt']));
    expect(allowed).not.toContain('mount');
    expect(allowed).not.toContain('ptrace');
    expect(allowed).not.toContain('kexec_load');
    expect(new Set(allowed).size).toBe(allowed.length);
  });
});
