import { FakecriError } from '../domain/errors';
import { ERRNO } from './errno';

// A seccomp profile as users write it (Docker / containers-common JSON), and
// the runtime-spec `linux.seccomp` it becomes for one container: what
// go.podman.io/common's setupSeccomp does for CRI-O.

export interface ProfileArg {
  index: number;
  value: number;
  valueTwo?: number;
  op: string;
}

interface Filter {
  arches?: string[];
  caps?: string[];
  minKernel?: string;
}

export interface ProfileSyscall {
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  errno?: string;
  args?: ProfileArg[];
  includes?: Filter;
  excludes?: Filter;
  comment?: string;
}

export interface Profile {
  defaultAction: string;
  defaultErrnoRet?: number;
  defaultErrno?: string;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: ProfileSyscall[];
}

// runtime-spec LinuxSeccomp, with Go's omitempty applied.
export interface LinuxSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  listenerMetadata?: string;
  syscalls?: { names: string[]; action: string; errnoRet?: number; args?: ProfileArg[] }[];
}

export const ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];
const ARCHES = ['X86', 'X86_64', 'X32', 'ARM', 'AARCH64', 'MIPS', 'MIPS64', 'MIPS64N32', 'MIPSEL', 'MIPSEL64', 'MIPSEL64N32', 'PPC', 'PPC64', 'PPC64LE', 'S390', 'S390X', 'PARISC', 'PARISC64', 'RISCV64', 'LOONGARCH64', 'M68K', 'SH', 'SHEB'].map((a) => `SCMP_ARCH_${a}`);
const OPS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];

const bad = (why: string) => new FakecriError('INVALID_ARGUMENT', `decoding seccomp profile failed: ${why}`);

// Parses and checks a profile; the errors read as CRI-O's
// ("decoding seccomp profile failed: …").
export function parseProfile(bytes: Buffer | string): Profile {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.isBuffer(bytes) ? bytes.toString('utf8') : bytes);
  } catch (err) {
    throw bad((err as Error).message);
  }
  const p = object(raw, 'the profile');
  const action = (v: unknown, at: string) => {
    const a = str(v, at);
    if (!ACTIONS.includes(a)) throw bad(`${at}: unknown action ${JSON.stringify(a)}`);
    return a;
  };
  if (p.defaultAction === undefined) throw bad('defaultAction is required');
  const profile: Profile = { defaultAction: action(p.defaultAction, 'defaultAction') };
  if (p.defaultErrnoRet !== undefined) profile.defaultErrnoRet = uint(p.defaultErrnoRet, 'defaultErrnoRet');
  if (p.defaultErrno !== undefined) profile.defaultErrno = errnoName(p.defaultErrno, 'defaultErrno');
  if (p.architectures !== undefined) profile.architectures = strings(p.architectures, 'architectures').map((a) => arch(a, 'architectures'));
  if (p.archMap !== undefined) {
    profile.archMap = array(p.archMap, 'archMap').map((e, i) => {
      const o = object(e, `archMap[${i}]`);
      return {
        architecture: arch(str(o.architecture, `archMap[${i}].architecture`), `archMap[${i}].architecture`),
        subArchitectures: o.subArchitectures === undefined || o.subArchitectures === null ? [] : strings(o.subArchitectures, `archMap[${i}].subArchitectures`).map((a) => arch(a, `archMap[${i}].subArchitectures`)),
      };
    });
  }
  if (profile.architectures?.length && profile.archMap?.length) {
    throw bad("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  if (p.flags !== undefined) profile.flags = strings(p.flags, 'flags');
  if (p.listenerPath !== undefined) profile.listenerPath = str(p.listenerPath, 'listenerPath');
  if (p.listenerMetadata !== undefined) profile.listenerMetadata = str(p.listenerMetadata, 'listenerMetadata');
  if (p.syscalls !== undefined && p.syscalls !== null) {
    profile.syscalls = array(p.syscalls, 'syscalls').map((e, i) => {
      const at = `syscalls[${i}]`;
      const o = object(e, at);
      const s: ProfileSyscall = { action: action(o.action, `${at}.action`) };
      if (o.name !== undefined && o.name !== '') s.name = str(o.name, `${at}.name`);
      if (o.names !== undefined && o.names !== null) s.names = strings(o.names, `${at}.names`);
      if (s.name && s.names?.length) throw bad("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
      if (!s.name && !s.names?.length) throw bad(`${at} names no syscall`);
      if (o.errnoRet !== undefined && o.errnoRet !== null) s.errnoRet = uint(o.errnoRet, `${at}.errnoRet`);
      if (o.errno !== undefined && o.errno !== '') s.errno = errnoName(o.errno, `${at}.errno`);
      if (o.args !== undefined && o.args !== null) {
        s.args = array(o.args, `${at}.args`).map((a, j) => {
          const ao = object(a, `${at}.args[${j}]`);
          const op = str(ao.op, `${at}.args[${j}].op`);
          if (!OPS.includes(op)) throw bad(`${at}.args[${j}].op: unknown operator ${JSON.stringify(op)}`);
          const arg: ProfileArg = { index: uint(ao.index, `${at}.args[${j}].index`), value: uint(ao.value ?? 0, `${at}.args[${j}].value`), op };
          if (ao.valueTwo !== undefined) arg.valueTwo = uint(ao.valueTwo, `${at}.args[${j}].valueTwo`);
          return arg;
        });
      }
      for (const f of ['includes', 'excludes'] as const) {
        if (o[f] === undefined || o[f] === null) continue;
        const fo = object(o[f], `${at}.${f}`);
        s[f] = {
          arches: fo.arches === undefined || fo.arches === null ? undefined : strings(fo.arches, `${at}.${f}.arches`),
          caps: fo.caps === undefined || fo.caps === null ? undefined : strings(fo.caps, `${at}.${f}.caps`),
          minKernel: fo.minKernel === undefined ? undefined : str(fo.minKernel, `${at}.${f}.minKernel`),
        };
      }
      if (typeof o.comment === 'string') s.comment = o.comment;
      return s;
    });
  }
  return profile;
}

// libseccomp's name for the native architecture, and its SCMP_ARCH_ for archMap.
const LIBSECCOMP_ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', ia32: 'x86', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' };
const NATIVE_TO_SECCOMP: Record<string, string> = { amd64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', s390x: 'SCMP_ARCH_S390X' };

export const nativeArch = (nodeArch: string = process.arch): string => LIBSECCOMP_ARCH[nodeArch] ?? nodeArch;

// The profile for one container: archMap picks the node's architecture,
// includes/excludes filter by architecture and the bounding capabilities,
// and errno names become numbers.
export function toLinuxSeccomp(profile: Profile, bounding: readonly string[], arch: string = nativeArch()): LinuxSeccomp {
  const out: LinuxSeccomp = { defaultAction: profile.defaultAction };
  const defaultErrno = profile.defaultErrno ? ERRNO[profile.defaultErrno] : profile.defaultErrnoRet;
  if (defaultErrno !== undefined) out.defaultErrnoRet = defaultErrno;
  const architectures = [...(profile.architectures ?? [])];
  const wanted = NATIVE_TO_SECCOMP[arch];
  const mapped = profile.archMap?.find((a) => a.architecture === wanted);
  if (mapped) architectures.push(mapped.architecture, ...(mapped.subArchitectures ?? []));
  if (architectures.length) out.architectures = architectures;
  if (profile.flags?.length) out.flags = profile.flags;
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  if (profile.listenerMetadata) out.listenerMetadata = profile.listenerMetadata;
  const syscalls: NonNullable<LinuxSeccomp['syscalls']> = [];
  for (const call of profile.syscalls ?? []) {
    if (call.excludes?.arches?.includes(arch)) continue;
    if (call.excludes?.caps?.some((c) => bounding.includes(c))) continue;
    if (call.includes?.arches?.length && !call.includes.arches.includes(arch)) continue;
    if (call.includes?.caps?.some((c) => !bounding.includes(c))) continue;
    const entry: NonNullable<LinuxSeccomp['syscalls']>[number] = { names: call.name ? [call.name] : (call.names ?? []), action: call.action };
    const errno = call.errno ? ERRNO[call.errno] : call.errnoRet;
    if (errno !== undefined) entry.errnoRet = errno;
    if (call.args?.length) entry.args = call.args.map((a) => ({ index: a.index, value: a.value, ...(a.valueTwo ? { valueTwo: a.valueTwo } : {}), op: a.op }));
    syscalls.push(entry);
  }
  if (syscalls.length) out.syscalls = syscalls;
  return out;
}

function object(v: unknown, at: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad(`${at} must be a JSON object`);
  return v as Record<string, unknown>;
}
function array(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw bad(`${at} must be an array`);
  return v;
}
function str(v: unknown, at: string): string {
  if (typeof v !== 'string') throw bad(`${at} must be a string`);
  return v;
}
function strings(v: unknown, at: string): string[] {
  return array(v, at).map((s, i) => str(s, `${at}[${i}]`));
}
function uint(v: unknown, at: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${at} must be a non-negative integer`);
  return v;
}
function arch(a: string, at: string): string {
  if (!ARCHES.includes(a)) throw bad(`${at}: unknown architecture ${JSON.stringify(a)}`);
  return a;
}
function errnoName(v: unknown, at: string): string {
  const name = str(v, at);
  if (ERRNO[name] === undefined) throw bad(`unknown errno ${name}`);
  return name;
}
