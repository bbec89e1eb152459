import { describe, expect, it } from 'vitest';
import { applets } from './index';
import { memoryContainer } from './test-context';

// Each expected output is busybox 1.35's (Debian's busybox-static, on glibc),
// run by hand with the same arguments.
const getopt = (args: string[], env: Record<string, string> = {}) => memoryContainer(applets).container.exec(['getopt', ...args], { env: { PATH: '/bin', ...env } });

describe('getopt', () => {
  it('prints options as glibc getopt_long finds them, quoted for eval set --', async () => {
    expect(await getopt(['-o', 'ab:c::', '-l', 'a-long,b-long:,c-long::', '--', '-a', '-b', 'x', '-cy', '--b-long=z', '--c-long', 'arg1', '--a-l', '--', '-a'])).toEqual({
      status: 0,
      stdout: " -a -b 'x' -c 'y' --b-long 'z' --c-long '' --a-long -- 'arg1' '-a'\n",
      stderr: '',
      out: expect.anything(),
    });
    // +: stop at the first operand; -: operands in order; a lone - is one.
    expect(await getopt(['-o', '+ab', '--', '-a', 'x', '-b'])).toMatchObject({ stdout: " -a -- 'x' '-b'\n" });
    expect(await getopt(['-o', '-a', '--', 'x', '-a', 'y'])).toMatchObject({ stdout: " 'x' -a 'y' --\n" });
    expect(await getopt(['-o', 'a', '--', 'x', '-a'], { POSIXLY_CORRECT: '1' })).toMatchObject({ stdout: " -- 'x' '-a'\n" });
    expect(await getopt(['-o', 'ab', '--', '-', '-ab', '--', '-c'])).toMatchObject({ stdout: " -a -b -- '-' '-c'\n" });
    // -a: long options after one dash, short ones where none matches.
    expect(await getopt(['-a', '-o', 'ab', '-l', 'bee', '--', '-b', '-bee', '-ab'])).toMatchObject({ stdout: ' -b --bee -a -b --\n' });
    // Quoting: a quote as '\''; -u none; tcsh's ! and blanks too.
    expect(await getopt(['-o', 'a', '--', "it's"])).toMatchObject({ stdout: " -- 'it'\\''s'\n" });
    expect(await getopt(['-u', '-o', 'ab:', '--', '-a', '-b', 'x y'])).toMatchObject({ stdout: ' -a -b x y --\n' });
    expect(await getopt(['-s', 'tcsh', '-o', 'a:', '--', '-a', 'x y!'])).toMatchObject({ stdout: " -a 'x'\\ 'y'\\!'' --\n" });
    // The old form: the first argument is the optstring, nothing quoted.
    expect(await getopt(['ab', '-a', 'x', '-b'])).toMatchObject({ status: 0, stdout: ' -a -b -- x\n' });
  });

  it("says what getopt(3) says, goes on, and ends with 1", async () => {
    expect(await getopt(['-o', 'ab:', '--', '-x', '-b'])).toMatchObject({
      status: 1,
      stdout: ' --\n',
      stderr: "getopt: invalid option -- 'x'\ngetopt: option requires an argument -- 'b'\n",
    });
    // With no long options, --zz=1 is a cluster of short ones.
    expect(await getopt(['-o', 'ab:', '--', '--zz=1', '-a'])).toMatchObject({
      status: 1,
      stdout: ' -a --\n',
      stderr: "getopt: invalid option -- '-'\ngetopt: invalid option -- 'z'\ngetopt: invalid option -- 'z'\ngetopt: invalid option -- '='\ngetopt: invalid option -- '1'\n",
    });
    // A prefix of two names is ambiguous only where they differ in arguments.
    expect(await getopt(['-o', 'a', '-l', 'alpha,alps', '--', '--al'])).toMatchObject({ status: 0, stdout: ' --alpha --\n' });
    expect(await getopt(['-o', 'a', '-l', 'alpha,alps:', '--', '--al=x'])).toMatchObject({
      status: 1,
      stderr: "getopt: option '--al=x' is ambiguous; possibilities: '--alpha' '--alps'\n",
    });
    // A required argument is the next word, whatever it looks like.
    expect(await getopt(['-n', 'myname', '-o', 'a', '-l', 'alpha:,beta', '--', '-z', '--alpha', '--beta=1', '--gamma'])).toMatchObject({
      status: 1,
      stdout: " --alpha '--beta=1' --\n",
      stderr: "myname: invalid option -- 'z'\nmyname: unrecognized option '--gamma'\n",
    });
    expect(await getopt(['-o', 'a', '-l', 'beta', '--', '--beta=1'])).toMatchObject({ status: 1, stderr: "getopt: option '--beta' doesn't allow an argument\n" });
    expect(await getopt(['-o', 'a', '-l', 'alpha:', '--', '--alpha'])).toMatchObject({ status: 1, stderr: "getopt: option '--alpha' requires an argument\n" });
    // -q and a leading ':' keep quiet; -Q prints nothing.
    expect(await getopt(['-q', '-o', 'a', '--', '-x', 'y'])).toMatchObject({ status: 1, stdout: " -- 'y'\n", stderr: '' });
    expect(await getopt(['-o', ':ab:', '--', '-x', '-b'])).toMatchObject({ status: 1, stdout: ' --\n', stderr: '' });
    expect(await getopt(['-Q', '-o', 'a', '--', '-a'])).toMatchObject({ status: 0, stdout: '' });
    expect(await getopt(['-T'])).toMatchObject({ status: 4 });
    expect(await getopt([])).toMatchObject({ status: 1, stderr: 'getopt: missing optstring argument\n' });
    expect(await getopt([], { GETOPT_COMPATIBLE: '' })).toMatchObject({ status: 0, stdout: ' --\n' });
    expect(await getopt(['-o', 'a', '-l', ':', '--', 'x'])).toMatchObject({ status: 1, stderr: 'getopt: empty long option specified\n' });
    expect(await getopt(['-s', 'zsh', '-o', 'a', '--', '-a'])).toMatchObject({ status: 0, stdout: ' -a --\n', stderr: "getopt: unknown shell 'zsh', assuming bash\n" });
  });
});
