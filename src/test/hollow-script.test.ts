import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = join(__dirname, '..', '..', 'scripts', 'hollow-nodes.sh');

// scripts/hollow-nodes.sh without a cluster: its help, its argument checks, and
// --report on a work dir where nothing runs. (The kubelets themselves: make e2e,
// scenario hollow-nodes.)
describe('scripts/hollow-nodes.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fakecri-hollow-script-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const script = (...args: string[]) => run(SCRIPT, args).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

  it('has --help naming every option it takes', async () => {
    const { code, out } = await script('--help');
    expect(code).toBe(0);
    for (const flag of ['--nodes', '--prefix', '--max-pods', '--work-dir', '--cluster-dir', '--port-base', '--healthz-port-base', '--report']) expect(out).toContain(flag);
  });

  it.each([
    [['--nodes', '0'], /--nodes 0: from 1 to 200/],
    [['--nodes', 'x'], /n must be a whole number, not 'x'/],
    [['--prefix', 'Bad_Name'], /node names are lower-case DNS names/],
    [['--port-base', '65530', '--nodes', '10'], /ports past 65535/],
    [['--bogus'], /unknown option --bogus/],
  ])('refuses %j', async (args, message) => {
    const { code, out } = await script(...args);
    expect(code).not.toBe(0);
    expect(out).toMatch(message);
  });

  it('--report says when nothing runs from the work dir', async () => {
    const { code, out } = await script('--report', '--work-dir', dir);
    expect(code).toBe(1);
    expect(out).toMatch(/no hollow-node process is running from/);
  });
});
