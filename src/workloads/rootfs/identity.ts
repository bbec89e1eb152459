import type { Identity } from '../procs/types';
import { type ContainerFs, isFill } from './types';

// Who a container's processes run as, as containerd decides it: the CRI
// run_as_username or run_as_user (with run_as_group), else the image's
// User; names and the primary group come from the container's /etc/passwd,
// further groups from /etc/group (WithAdditionalGIDs) unless the policy is
// Strict, then the pod's supplemental_groups; sorted, as the kernel keeps
// them.

interface SecurityContextView {
  run_as_user?: { value?: string | number } | null;
  run_as_group?: { value?: string | number } | null;
  run_as_username?: string;
  supplemental_groups?: (string | number)[];
  // Strict: the image's /etc/group adds nothing.
  supplemental_groups_policy?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function readText(fs: ContainerFs, path: string): string {
  try {
    const h = fs.open(path, { read: true });
    try {
      let out = '';
      for (let c = h.read(65536); c; c = h.read(65536)) out += isFill(c) ? '' : Buffer.from(c).toString();
      return out;
    } finally {
      h.close();
    }
  } catch {
    return '';
  }
}

const isNumber = (s: string): boolean => /^[0-9]+$/.test(s);

// /etc/passwd and /etc/group parsed, by their text: every container of an
// image has the same files, read at its creation and again at its start, and
// parsing them made most of what starting a container allocated. The entries
// are shared: nothing changes them.
interface Passwd {
  entries: PasswdEntry[];
  // Each line with a home field: its uid field (as written) and home.
  homes: [string, string][];
}
const MAX_PARSED = 32;
const parsedPasswd = new Map<string, Passwd>();
const parsedGroup = new Map<string, GroupEntry[]>();

function cached<T>(cache: Map<string, T>, text: string, parse: (text: string) => T): T {
  let v = cache.get(text);
  if (v === undefined) {
    if (cache.size >= MAX_PARSED) cache.clear();
    v = parse(text);
    cache.set(text, v);
  }
  return v;
}

function readPasswd(fs: ContainerFs): Passwd {
  return cached(parsedPasswd, readText(fs, '/etc/passwd'), (text) => {
    const lines = text.split('\n').map((l) => l.split(':'));
    return {
      entries: lines.filter((f) => f.length >= 4 && isNumber(f[2]) && isNumber(f[3])).map((f) => ({ name: f[0], uid: Number(f[2]), gid: Number(f[3]) })),
      homes: lines.filter((f) => f.length >= 6).map((f) => [f[2], f[5]]),
    };
  });
}

function passwd(fs: ContainerFs): PasswdEntry[] {
  return readPasswd(fs).entries;
}

function groups(fs: ContainerFs): GroupEntry[] {
  return cached(parsedGroup, readText(fs, '/etc/group'), (text) =>
    text
      .split('\n')
      .map((l) => l.split(':'))
      .filter((f) => f.length >= 3 && isNumber(f[2]))
      .map((f) => ({ name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) })),
  );
}

// The user's home from the container's /etc/passwd, as runc sets HOME: the
// first line of that uid; "/" when there is none, or no /etc/passwd.
export function homeOf(fs: ContainerFs, uid: number): string {
  for (const [u, home] of readPasswd(fs).homes) if (u !== '' && Number(u) === uid) return home || '/';
  return '/';
}

// `fs` is the container's files seen by root; `imageUser` the image
// config's User ("name", "uid", "name:group", "uid:gid").
export function resolveIdentity(fs: ContainerFs, config: unknown, imageUser = ''): Identity {
  const sc = ((config ?? {}) as { linux?: { security_context?: SecurityContextView | null } | null }).linux?.security_context ?? {};
  const runAsUser = sc.run_as_user?.value;
  const runAsGroup = sc.run_as_group?.value;
  let user = sc.run_as_username || (runAsUser !== undefined && runAsUser !== null ? String(runAsUser) : '');
  let group = runAsGroup !== undefined && runAsGroup !== null ? String(runAsGroup) : '';
  if (!user) [user = '', group = ''] = imageUser.split(':');
  const users = passwd(fs);
  const entry = !user ? users.find((u) => u.uid === 0) : isNumber(user) ? users.find((u) => u.uid === Number(user)) : users.find((u) => u.name === user);
  const uid = !user ? 0 : isNumber(user) ? Number(user) : (entry?.uid ?? 0);
  const all = groups(fs);
  let gid = entry?.gid ?? 0;
  if (group) gid = isNumber(group) ? Number(group) : (all.find((g) => g.name === group)?.gid ?? gid);
  const name = entry?.name;
  const extra = name && sc.supplemental_groups_policy !== 'Strict' ? all.filter((g) => g.members.includes(name)).map((g) => g.gid) : [];
  const supplemental = (sc.supplemental_groups ?? []).map(Number);
  const list = [...new Set([...extra, ...supplemental])].filter((g) => g !== gid).sort((a, b) => a - b);
  return { uid, gid, groups: list, ...(name ? { user: name } : {}) };
}

// ContainerStatus.user, as containerd reports the OCI spec's user: the
// additional gids hold the primary group first.
export function containerUser(fs: ContainerFs, config: unknown, imageUser = ''): { uid: number; gid: number; groups: number[] } {
  const i = resolveIdentity(fs, config, imageUser);
  return { uid: i.uid, gid: i.gid, groups: [i.gid, ...i.groups] };
}
