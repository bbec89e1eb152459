import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Our small Go clients under e2e/clients/ (built on Debian's Go packages,
// in GOPATH mode, offline), built once per source text and shared by test
// files. scripts/test-deps.sh installs Go and the packages.

const ROOT = resolve(__dirname, '../..');

export function goTool(): string {
  const candidates = [
    ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'go')),
    ...readdirSafe('/usr/lib')
      .filter((d) => /^go-\d/.test(d))
      .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
      .map((d) => `/usr/lib/${d}/bin/go`),
  ];
  const go = candidates.find((p) => existsSync(p));
  if (!go) throw new Error('the tests need Go (Debian: golang-go); run scripts/test-deps.sh as root');
  return go;
}

export function goBuild(name: string): string {
  const dir = join(ROOT, 'e2e', 'clients', name);
  const hash = createHash('sha256');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.go')).sort()) hash.update(f).update(readFileSync(join(dir, f)));
  const out = join(tmpdir(), 'fakecri-go', `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(out)) return out;
  mkdirSync(join(tmpdir(), 'fakecri-go'), { recursive: true });
  const tmp = `${out}.${process.pid}`;
  execFileSync(goTool(), ['build', '-o', tmp, '.'], {
    cwd: dir,
    env: { ...process.env, GO111MODULE: 'off', GOPATH: '/usr/share/gocode', GOCACHE: join(tmpdir(), 'fakecri-go', 'cache'), GOFLAGS: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  renameSync(tmp, out);
  return out;
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
