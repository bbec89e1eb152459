import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

// Go programs of ours that speak a protocol through the real Go library, to
// test fakecri's side against (e2e/clients/*). They are built in GOPATH mode
// from Debian packages only, never from the network: the Go toolchain
// (golang-go; here any /usr/lib/go-*/bin/go) and the library's -dev package
// under /usr/share/gocode (scripts/test-deps.sh installs both). Missing
// either, this throws saying which: these tests do not skip.

const REPO = resolve(__dirname, '../..');
const GOPATH = '/usr/share/gocode';

export function findGo(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'go'))) return join(dir, 'go');
  }
  // Debian's versioned toolchains (golang-1.NN-go) without the golang-go link.
  const versions = existsSync('/usr/lib')
    ? readdirSync('/usr/lib')
        .map((d) => /^go-1\.(\d+)$/.exec(d))
        .filter((m): m is RegExpExecArray => !!m && existsSync(`/usr/lib/${m[0]}/bin/go`))
        .sort((a, b) => Number(b[1]) - Number(a[1]))
    : [];
  if (versions.length) return `/usr/lib/${versions[0][0]}/bin/go`;
  throw new Error('no Go toolchain: `go` is not on PATH and there is no /usr/lib/go-*/bin/go; install Debian package golang-go (scripts/test-deps.sh)');
}

// Builds e2e/clients/<name> once per content (cached in the temp directory)
// and answers the binary's path. `needs` are GOPATH import paths the program
// uses, each checked with the Debian package that provides it.
export function buildGoPeer(name: string, needs: { importPath: string; debianPackage: string }[]): string {
  const src = join(REPO, 'e2e/clients', name);
  for (const n of needs) {
    if (!existsSync(join(GOPATH, 'src', n.importPath))) {
      throw new Error(`${n.importPath} is missing from ${GOPATH}: install Debian package ${n.debianPackage} (scripts/test-deps.sh)`);
    }
  }
  const go = findGo();
  const hash = createHash('sha256');
  for (const f of readdirSync(src).sort()) if (f.endsWith('.go')) hash.update(f).update(readFileSync(join(src, f)));
  hash.update(go);
  const dir = join(tmpdir(), 'fakecri-go-peers');
  const bin = join(dir, `${name}-${hash.digest('hex').slice(0, 16)}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  // Two test files may build at once: each builds aside, then renames.
  const tmp = `${bin}.${process.pid}.tmp`;
  try {
    execFileSync(go, ['build', '-o', tmp, '.'], {
      cwd: src,
      env: {
        ...process.env,
        GO111MODULE: 'off',
        GOPATH,
        GOFLAGS: '',
        GOTOOLCHAIN: 'local',
        GOPROXY: 'off',
        GOCACHE: join(dir, 'go-build-cache'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 600_000,
    });
  } catch (err) {
    rmSync(tmp, { force: true });
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`building ${src} with ${go} failed: ${e.stderr?.toString() || e.message}`);
  }
  renameSync(tmp, bin);
  return bin;
}

export interface PeerRun {
  child: ChildProcess;
  // Stdout lines as they come.
  lines: string[];
  stderr: () => string;
  // Exit code (or the signal's name) once it exits.
  exited: Promise<number | string>;
}

export function startPeer(bin: string, args: string[]): PeerRun {
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let partial = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    const parts = (partial + s).split('\n');
    partial = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => {
    err += s;
  });
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | string>((res) => child.on('close', (code, signal) => res(code ?? signal ?? -1)));
  return { child, lines, stderr: () => err, exited };
}

export interface Ran {
  code: number | null;
  out: string;
  err: string;
}

// Runs a peer to its end: stdin is input (left open when undefined),
// onSpawn gets a way to kill it.
export function runPeer(bin: string, args: string[], input?: string, onSpawn?: (kill: () => void) => void): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out, err }));
    p.stdin.on('error', () => {});
    onSpawn?.(() => p.kill('SIGKILL'));
    if (input !== undefined) p.stdin.end(input);
  });
}
