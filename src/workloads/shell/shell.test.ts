import { describe, expect, it } from 'vitest';
import { Kit } from './testkit';

// The language as busybox ash runs it: each script's stdout, stderr and
// status are what `busybox sh -c SCRIPT` gives (checked against ash.c's
// behaviour and messages).

type Case = [script: string, stdout: string, status?: number, stderr?: string];

async function check(cases: Case[]): Promise<void> {
  for (const [script, stdout, status = 0, stderr = ''] of cases) {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', script]);
    expect({ script, ...r }).toEqual({ script, stdout, status, stderr });
  }
}

describe('sh -c', () => {
  it("runs upstream's eviction loop: variables, [ ], dd, sleep and $((...))", async () => {
    const k = new Kit();
    k.fs.mkdir('/test-mnt');
    const script = 'i=0; while [ $i -lt 3 ]; do dd if=/dev/urandom of=/test-mnt/file${i} bs=1048576 count=1 2>/dev/null; sleep .01; i=$(($i+1)); done; echo "wrote $i"';
    expect(await k.exec(['sh', '-c', script])).toEqual({ status: 0, stdout: 'wrote 3\n', stderr: '' });
    expect(k.fs.readdir('/test-mnt').sort()).toEqual(['file0', 'file1', 'file2']);
    expect(k.fs.stat('/test-mnt/file2').size).toBe(1048576);
  });

  it('quotes, escapes and field splitting', async () => {
    await check([
      ['echo a   b "c   d" \'e   f\'', 'a b c   d e   f\n'],
      ['x="a  b c"; set -- $x; echo $#; set -- "$x"; echo $#', '3\n1\n'],
      ['a=" x  y "; echo "[$a]" [$a]', '[ x  y ] [ x y ]\n'],
      ['echo \\$HOME "\\$HOME" \'$HOME\' "a\\b" "a\\\\b" a\\\\b', '$HOME $HOME $HOME a\\b a\\b a\\b\n'],
      ["echo $'a\\tb' $'\\x41\\101'", 'a\tb AA\n'],
      ['IFS=:; x=a:b::c; set -- $x; echo $#; IFS=" :"; x=" a : b "; set -- $x; echo $#', '4\n2\n'],
      ['x=""; set -- $x "$x" ""$x; echo $#', '2\n'],
      ['set -- a "b c"; for a in "$@"; do echo "<$a>"; done; for a in $@; do echo "($a)"; done; echo "$*"', '<a>\n<b c>\n(a)\n(b)\n(c)\na b c\n'],
      ['set --; set -- "$@"; echo $#; set -- ""; set -- "$@"; echo $#', '0\n1\n'],
      ['IFS=,; set -- a b; echo "$*"; x="$@"; echo "$x"', 'a,b\na,b\n'],
      ['echo "${x:-a b}" ${x:-a b}; set -- ${x:-a b}; echo $#', 'a b a b\n2\n'],
      ['echo "$(echo "nested \\"quotes\\"")"', 'nested "quotes"\n'],
      ['echo one\\\ntwo', 'onetwo\n'],
      ['echo a#b # comment', 'a#b\n'],
    ]);
  });

  it('parameter expansion: every POSIX form and ash\'s additions', async () => {
    await check([
      ['echo ${x:-def} ${x-unset} ${x:+alt}x; x=; echo ${x:-def} [${x-unset}] ${x+alt}', 'def unset x\ndef [] alt\n'],
      ['echo ${x:=set} $x; y=; echo ${y=kept}[$y]', 'set set\n[]\n'],
      ['f=hello.tar.gz; echo ${f%.*} ${f%%.*} ${f#*.} ${f##*.} ${#f}', 'hello.tar hello tar.gz gz 12\n'],
      ['p=/usr/local/bin; echo ${p##*/} ${p%/*} ${p#/}', 'bin /usr/local usr/local/bin\n'],
      ['v=hello; echo ${v/l/L} ${v//l/L} ${v/x/y} ${v//[aeiou]/_}', 'heLlo heLLo hello h_ll_\n'],
      ['v=abcdef; echo ${v:1:3} ${v:2} ${v: -2} ${v:1:-1} ${v:10}x ${v:$((1+1)):1}', 'bcd cdef ef bcde x c\n'],
      ['x="a*"; echo ${x#"a*"}y ${x#a\\*}z', 'y z\n'],
      ['echo ${#} ${#PATH} ${10-ten}; set -- 1 2 3 4 5 6 7 8 9 10; echo ${10} $10', '0 4 ten\n10 10\n'],
      ['echo ${x?boom}', '', 2, 'sh: x: boom\n'],
      ['echo ${y:?}', '', 2, 'sh: y: parameter not set or null\n'],
      ['echo ${y?}', '', 2, 'sh: y: parameter not set\n'],
      ['echo ${a~}', '', 2, 'sh: syntax error: bad substitution\n'],
    ]);
  });

  it('special parameters', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-c', 'echo $$ $0 $1 $# "$@"; false; echo $?; echo ${!-none}; sleep 0 & echo ${!}; echo $-', 'myname', 'one', 'two']);
    expect(r).toEqual({ status: 0, stdout: '1 myname one 2 one two\n1\nnone\n2\nc\n', stderr: '' });
    expect((await k.exec(['sh', '-euc', 'echo $-'])).stdout).toBe('uce\n');
  });

  it('command substitution and arithmetic', async () => {
    await check([
      ['echo $(echo a; echo b) "$(echo c)" `echo d`', 'a b c d\n'],
      ['x=$(printf "a\\n\\n\\n"); echo "[$x]"', '[a]\n'],
      ['x=$(exit 4); echo $?; x=$(false) y=1; echo $?', '4\n1\n'],
      ['echo $(( $(echo 3) + 4 )) $((2**10)) $((7/2)) $((-7%3)) $((1<<4)) $((0x10)) $((010)) $((2#101)) $((36#z))', '7 1024 3 -1 16 16 8 5 35\n'],
      ['echo $((a=5, a*2)) $a $((a++)) $a $((++a)) $((a+=10)) $((1?2:3)) $((0&&1/0)) $((1||1/0))', '10 5 5 6 7 17 2 0 1\n'],
      ['x=3; y=x; echo $((y*2)) $((x>2 && x<4)) $(( ~0 )) $((9223372036854775807+1))', '6 1 -1 -9223372036854775808\n'],
      ['i=0; while [ $i -lt 3 ]; do i=$(($i+1)); done; echo $i', '3\n'],
      ['echo $((1/0))', '', 2, 'sh: divide by zero\n'],
      ['echo $((1+))', '', 2, 'sh: arithmetic syntax error\n'],
      ['a=b; b=a; echo $((a))', '', 2, 'sh: expression recursion loop detected\n'],
    ]);
  });

  it('pathname expansion against the container files; tilde', async () => {
    const k = new Kit();
    k.write('/tmp/a1', '');
    k.write('/tmp/a2', '');
    k.write('/tmp/.hidden', '');
    k.write('/tmp/b', '');
    // A pattern starting with a dot matches . and .., as readdir gives them
    // to ash's expmeta.
    const r = await k.exec(['sh', '-c', 'cd /tmp; echo a* "a*" ? [ab]? *x; echo /tmp/a[!1] .h* .* .?; set -f; echo a*; echo ~ ~root ~nosuch; x=~/a:~/b; echo $x']);
    expect(r).toEqual({ status: 0, stdout: 'a1 a2 a* b a1 a2 *x\n/tmp/a2 .hidden . .. .hidden ..\na*\n/root /root ~nosuch\n/root/a:/root/b\n', stderr: '' });
  });

  it('control flow: if, while, until, for, case, break and continue', async () => {
    await check([
      ['if false; then echo a; elif true; then echo b; else echo c; fi', 'b\n'],
      ['n=0; until [ $n -ge 2 ]; do n=$((n+1)); echo $n; done', '1\n2\n'],
      ['for i in 1 2 3; do [ $i = 2 ] && continue; echo $i; done', '1\n3\n'],
      ['for i in 1 2; do for j in a b; do [ $j = b ] && break 2; echo $i$j; done; done; echo end', '1a\nend\n'],
      ['set -- x y; for a; do echo $a; done', 'x\ny\n'],
      ['for x in; do echo no; done; echo $?', '0\n'],
      ['case abc in a|b) echo 1;; a*) echo 2;; *) echo 3;; esac', '2\n'],
      ['case "x*" in x\\*) echo lit;; esac; case y in (y) echo paren;; esac; case z in *) ;; esac; echo $?', 'lit\nparen\n0\n'],
      ['x=b; case $x in [abc]) echo class;; esac', 'class\n'],
      ['while true; do break; done; echo $?', '0\n'],
      ['false; if false; then :; fi; echo $?', '0\n'],
    ]);
  });

  it('pipelines, lists, subshells and groups', async () => {
    await check([
      ['echo a && echo b || echo c; false && echo x || echo y', 'a\nb\ny\n'],
      ['false | true; echo $?; true | false; echo $?; ! true | false; echo $?', '0\n1\n0\n'],
      ['printf "a\\nb\\n" | while read l; do echo "[$l]"; done', '[a]\n[b]\n'],
      ['x=1; (x=2; echo $x); echo $x; { x=3; }; echo $x', '2\n1\n3\n'],
      ['echo a | (read x; echo got $x); echo b | { read y; echo $y; }', 'got a\nb\n'],
      ['x=1; echo | x=2; echo $x', '1\n'],
      ['{ echo a; echo b; } | wc', '2\n'],
      ['(exit 3); echo $?', '3\n'],
      // A redirection that puts back the Fd already there (>&1 onto a pipe)
      // must give back its reference, or the pipe never closes and cat waits.
      ['{ echo out; echo err >&2; } 2>&1 | cat', 'out\nerr\n'],
      ['{ echo a >&1; } | cat; { true 2>&1; } 2>&1 | cat; echo done', 'a\ndone\n'],
      ['{ exec >&1; echo kept; } | cat', 'kept\n'],
    ]);
  });

  it('functions, local and return', async () => {
    await check([
      ['f() { echo "f:$1:$#"; return 3; }; f a b; echo $?', 'f:a:2\n3\n'],
      ['x=1; f() { local x=2; echo $x; }; f; echo $x', '2\n1\n'],
      ['f() { local y; y=5; }; y=1; f; echo $y', '1\n'],
      ['f() { echo $1; shift; [ $# -gt 0 ] && f "$@"; }; f a b c', 'a\nb\nc\n', 1],
      ['f() { x=inner; }; f; echo $x', 'inner\n'],
      ['v=1 f() { echo $v; }; f', '', 2, 'sh: syntax error: unexpected "("\n'],
      ['f() { echo "[$v]"; }; v=tmp f; echo "[$v]"', '[tmp]\n[]\n'],
      ['function f { echo F $1; }; f x; function g() { echo G; }; g', 'F x\nG\n'],
      ['export X=$(echo "a  b") Y=~/y; echo "[$X] $Y"; f() { local z=$(echo p q); echo "[$z]"; }; f', '[a  b] /root/y\n[p q]\n'],
      ['local x', '', 2, 'sh: local: line 0: not in a function\n'],
      ['f() { f; }; f', '', 2, 'sh: nesting level too deep\n'],
    ]);
  });

  it('a $( ) in a here-document is parsed from the document\'s own text', async () => {
    await check([
      ['cat <<EOF\nhost=$(echo h) `echo bt` $((1 + 2))\n$(echo a; echo b)\n$(cat <<E2\ninner\nE2\n)\nEOF\necho after', 'host=h bt 3\na\nb\ninner\nafter\n'],
      ['cat <<EOF\n$(echo a\nEOF', '', 2, 'sh: syntax error: unexpected end of file (expecting ")")\n'],
    ]);
  });

  it('redirections and here-documents', async () => {
    const k = new Kit();
    const script = [
      'echo a > /tmp/f; echo b >> /tmp/f; cat /tmp/f; cat < /tmp/f',
      'echo err >&2 2>/dev/null',
      'echo hidden 2>&1 >/dev/null',
      '{ echo to-null; echo to-out >&2; } 2>&1 >/dev/null',
      '{ echo out; echo err >&2; } > /tmp/both 2>&1; cat /tmp/both',
      'echo x &>/tmp/amp; cat /tmp/amp',
      'exec 3>/tmp/three; echo via3 >&3; exec 3>&-; cat /tmp/three',
      'echo closed >&3; echo "status $?"',
      'cat <<EOF\nhi $HOME $((1+1))\n  "q" \\$x\nEOF',
      "cat <<'EOF'\nno $expand\nEOF",
      'cat <<-EOF\n\t\ttabs gone\n\tEOF',
      'cat <<A; cat <<B\na\nA\nb\nB',
      'echo > /nonexistent/x; echo "status $?"',
      'cat < /nonexistent',
      'echo to-stderr >/dev/stderr',
    ].join('\n');
    const r = await k.exec(['sh', '-c', script]);
    expect(r.stdout).toBe(
      ['a', 'b', 'a', 'b', 'to-out', 'out', 'err', 'x', 'via3', 'status 1', 'hi /root 2', '  "q" $x', 'no $expand', 'tabs gone', 'a', 'b', 'status 1', ''].join('\n'),
    );
    expect(r.stderr).toBe(
      'err\nsh: 3: Bad file descriptor\nsh: can\'t create /nonexistent/x: nonexistent directory\nsh: can\'t open /nonexistent: no such file\nto-stderr\n',
    );
    expect(r.status).toBe(0);
  });

  it('exec runs in place or redirects the shell for good', async () => {
    await check([
      ['echo a; exec echo b; echo c', 'a\nb\n'],
      ['exec >/tmp/o; echo hidden; exec >&2; cat /tmp/o', '', 0, 'hidden\n'],
      ['exec nosuch; echo after', '', 127, 'sh: exec: line 0: nosuch: not found\n'],
    ]);
  });

  it('set -e, -u, -x, -f and pipefail', async () => {
    await check([
      ['set -e; echo a; false; echo b', 'a\n', 1],
      ['set -e; false || true; if false; then :; fi; ! true; false && true; echo survived', 'survived\n'],
      ['set -e; f() { false; echo no; }; f; echo no', '', 1],
      ['set -e; (false); echo no', '', 1],
      // cdcmd's CDPATH: found through a non-empty entry, the new dir is said.
      ['CDPATH=/var && cd spool && pwd; CDPATH=:/var; cd /var; cd spool; pwd', '/var/spool\n/var/spool\n/var/spool\n'],
      // ash's trap hack: `$(trap)` alone lists the parent's traps.
      ["trap 'echo t' TERM; s=$(trap); trap - TERM; eval \"$s\"; trap; x=$(trap; echo y); echo \"[$x]\"", "trap -- 'echo t' TERM\n[y]\n"],
      // ash's evalbackcmd clears -e in $( ).
      ['set -e; x=$(false; echo inner); echo "$x"', 'inner\n'],
      // -e as it stands when the command ends, as dash and ash read it.
      ['f() { set -e; return 1; }; f; echo no', '', 1],
      ['set -e; f() { set +e; return 1; }; f; echo yes', 'yes\n'],
      ['set -u; echo $nope', '', 2, 'sh: nope: parameter not set\n'],
      ['set -u; echo ${nope-ok} "$@" $#', 'ok 0\n'],
      ['set -x; x=1; echo "$x" \'a b\'', '1 a b\n', 0, "+ x=1\n+ echo 1 'a b'\n"],
      ['set -o pipefail; false | true; echo $?; set +o pipefail; false | true; echo $?', '1\n0\n'],
      ['set -o >/dev/null; set +x; echo $-', 'c\n'],
      ['set -- a b; echo $#; set --; echo $#', '2\n0\n'],
    ]);
  });

  it('read: IFS splitting, -r, -d, -n; the rest of the input stays', async () => {
    await check([
      ['read a b <<EOF\none two three\nEOF\necho "[$a] [$b]"', '[one] [two three]\n'],
      ['IFS=: read a b c <<EOF\nx:y\nEOF\necho "[$a][$b][$c]"', '[x][y][]\n'],
      ["read -r a <<'EOF'\nback\\\\slash\nEOF\necho \"$a\"; read a <<'EOF'\nback\\\\slash\nEOF\necho \"$a\"", 'back\\\\slash\nback\\slash\n'],
      ['read -n 3 a <<EOF\nabcdef\nEOF\necho $a', 'abc\n'],
      ['read -d , a <<EOF\nx,y\nEOF\necho $a', 'x\n'],
      ['echo no-newline | { read a; echo "$a"; }', 'no-newline\n'],
      ['read -t 0.05 a < /dev/zero; echo $?', '1\n'],
    ]);
    const k = new Kit();
    const r = await k.exec(['sh', '-c', 'read a; echo "1:$a"; read b; echo "2:$b"; cat; read c; echo "3:$c $?"'], { input: 'l1\nl2\nrest\n' });
    expect(r).toEqual({ status: 0, stdout: '1:l1\n2:l2\nrest\n3: 1\n', stderr: '' });
    expect((await k.exec(['sh', '-c', 'read; echo "[$REPLY]"'], { input: '  keep  \n' })).stdout).toBe('[  keep  ]\n');
  });

  // As busybox 1.35 ash: commands are searched down the shell's PATH
  // variable, exported or not; with none, only the current directory.
  it('PATH: unset searches nothing but the current directory; export -n unexports', async () => {
    await check([
      ['unset PATH; cat </dev/null; echo $?; command -v echo cat; command -V cat echo; /bin/cat </dev/null; echo $?', '127\necho\ncat: not found\n0\n', 0, 'sh: cat: not found\n'],
      ['PATH=/nowhere; export -n PATH; cat </dev/null; echo $?', '127\n', 0, 'sh: cat: not found\n'],
      ['X=1; export X Y=2; export -n X Y=3 Z; sh -c \'echo "[$X] [$Y] [$Z]"\'; echo $X $Y', '[] [3] []\n1 3\n'],
      // evalcommand sets prefix assignments before the search: PATH=x cmd
      // searches x.
      ['PATH=/nowhere cat </dev/null; echo $?; cat </dev/null; echo $?', '127\n0\n', 0, 'sh: cat: not found\n'],
      // hashcmd: a name is looked up again; the table lists paths.
      ['hash nosuch; echo $?', '1\n', 0, 'sh: hash: line 0: nosuch: not found\n'],
      // fds past 9, as ash takes them (exec 200>lock).
      ['exec 200>/tmp/lock; echo l >&200; exec 200>&-; cat /tmp/lock; echo x >&200; echo $?', 'l\n1\n', 0, 'sh: 200: Bad file descriptor\n'],
      // xtrace goes to fd 2 as it was before the command's redirections.
      ['set -x; echo t 2>/dev/null; echo u 2>&1', 't\nu\n', 0, '+ echo t\n+ echo u\n'],
    ]);
  });

  it('builtins: cd pwd export unset shift eval . type command umask getopts', async () => {
    const k = new Kit();
    k.fs.mkdir('/work');
    k.write('/bin/lib.sh', 'libvar="from lib $1"\nreturn 4\necho never\n', 0o644);
    const r = await k.exec([
      'sh',
      '-c',
      [
        'cd /work; pwd; echo $PWD; cd ..; pwd; cd -',
        'export A=1; sh -c "echo \\$A"; unset A; echo "[${A-unset}]"',
        'set -- a b c; shift; echo $@; shift 2; echo $#',
        'eval "x=1; echo \\$x"; cmd="echo evaluated"; eval $cmd',
        '. lib.sh arg; echo "$? $libvar"',
        'type echo cd : lsx 2>&1; f() { :; }; type f; command -v sh cd; command -v cd sh',
        'type -t cd f lsx; echo $?',
        'umask; umask 077; umask; umask -S',
        'while getopts ab:c o -a -b val -c rest; do echo "$o ${OPTARG-}"; done; echo $OPTIND',
        'true; false; echo $?',
      ].join('\n'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      [
        '/work',
        '/work',
        '/',
        '/work',
        '1',
        '[unset]',
        'b c',
        '0',
        '1',
        'evaluated',
        '4 from lib arg',
        'echo is a shell builtin',
        'cd is a shell builtin',
        ': is a special shell builtin',
        'lsx: not found',
        'f is a function',
        '/bin/sh',
        'cd',
        'cd',
        'f',
        '127',
        '0022',
        '0077',
        'u=rwx,g=,o=',
        'a ',
        'b val',
        'c ',
        '5',
        '1',
        '',
      ].join('\n'),
    );
  });

  it('the minimal builtins: alias, jobs, let, times, ulimit, hash, set -n, set -v, $LINENO', async () => {
    await check([
      ['alias ll="ls -l"; alias; alias ll; unalias ll; alias ll; echo $?', "ll='ls -l'\nll='ls -l'\n1\n", 0, 'alias: ll not found\n'],
      // Without job control ash keeps no command text: the status, padded.
      // wait leaves the job in the table: the second jobs shows how it ended.
      ['sleep 1 & jobs; kill %1; wait; jobs; echo done', `[1]+  Running${' '.repeat(20)}\n[1]+  Terminated${' '.repeat(17)}\ndone\n`],
      ['let x=1+2 "y=x*2"; echo $x $y $?; let 0; echo $?', '3 6 0\n1\n'],
      ['times', '0m0.000s 0m0.000s\n0m0.000s 0m0.000s\n'],
      ['ulimit; ulimit -n; ulimit -n 100; echo $?', 'unlimited\n1048576\n0\n'],
      ['hash; echo $?', '0\n'],
      ['echo a; set -n; echo b', 'a\n'],
      ['echo a; set -v; echo b\necho c\n', 'a\nb\nc\n', 0, 'echo c\n'],
      // A -c script's lines count from 0; eval's go on from its own line.
      ['f() { echo $LINENO; }\nf\necho $LINENO', '0\n2\n'],
      ['x=1\neval "echo \\$LINENO\necho \\$LINENO"', '1\n2\n'],
    ]);
  });

  // Words of text and plain $name's take a short way (expand.ts plainField)
  // when there is nothing to split or glob; these are its edges, each as
  // busybox 1.35 expands it.
  it('plain $name words: split on IFS, dropped when empty, tilde, set -u and backslashes as ash has them', async () => {
    await check([
      ['i=5; echo f$i.txt ${i} $i$i', 'f5.txt 5 55\n'],
      ['x="a b"; set -- $x; echo $#', '2\n'],
      ['x=""; set -- $x; echo $#; set -- x$x; echo $#', '0\n1\n'],
      ['IFS=:; x=a:b; set -- $x; echo $#; y=a; set -- $y$y; echo $#', '2\n1\n'],
      ['HOME=/h; x=1; echo ~/$x', '/h/1\n'],
      ['x="a\\\\b"; echo $x', 'a\\b\n'],
      ['set -- a "b c"; echo $1$2; IFS=; x="p q"; set -- $x; echo $#', 'ab c\n1\n'],
      ['set -u; echo $nosuch; echo no', '', 2, 'sh: nosuch: parameter not set\n'],
    ]);
  });

  it('errors read as busybox ash words them', async () => {
    await check([
      ['foo', '', 127, 'sh: foo: not found\n'],
      ['foo; echo $?', '127\n', 0, 'sh: foo: not found\n'],
      ['/bin/nosuch', '', 127, 'sh: /bin/nosuch: not found\n'],
      ['exit 7', '', 7],
      ['exit 256', '', 0],
      ['exit foo', '', 2, 'sh: exit: line 0: Illegal number: foo\n'],
      ['shift 5; echo $?; set -- a b; shift 3; echo $? $#', '1\n1 2\n'],
      ['readonly r=1; r=2; echo not reached', '', 2, 'sh: r: is read only\n'],
      ['readonly r=1; export r=2', '', 2, 'sh: export: line 0: r: is read only\n'],
      ['cd /nope; echo $?', '2\n', 0, "sh: cd: line 0: can't cd to /nope: No such file or directory\n"],
      ['set -q', '', 2, 'sh: set: line 0: illegal option -q\n'],
      // An unknown -o name: set answers 1 and goes no further (busybox 1.35).
      ['set -o bogus -e; echo $? $-; set -Ib -o errtrace; echo $-', '1 c\nEbcI\n', 0, 'sh: set: line 0: illegal option -o bogus\n'],
      // command: -V wins over -v, in either order (busybox 1.35).
      ['command -V -v cd; command -v -V cd; command -v cd', 'cd is a shell builtin\ncd is a shell builtin\ncd\n'],
      // An option `command` does not know reaches the builtin, which names
      // itself; trap takes no option at all, and is special (busybox 1.35).
      ['command -x ls; echo $?', '2\n', 0, 'sh: command: line 0: illegal option -x\n'],
      ["trap 'echo bye' EXIT; trap -p EXIT; echo no", 'bye\n', 2, 'sh: trap: line 0: illegal option -p\n'],
      ["trap -- 'echo bye' EXIT; trap - EXIT; trap; echo $?", '0\n'],
      ['export -q', '', 2, 'sh: export: line 0: illegal option -q\n'],
      [
        'set -o',
        ['errexit', 'noglob', 'ignoreeof', 'monitor', 'noexec', 'xtrace', 'verbose', 'noclobber', 'allexport', 'notify', 'nounset', 'errtrace', 'vi', 'pipefail'].map((o) => `${o.padEnd(16)}off\n`).join(''),
      ],
      ['echo a; fi', '', 2, 'sh: syntax error: unexpected "fi"\n'],
      ['echo a\nfi', 'a\n', 2, 'sh: syntax error: unexpected "fi"\n'],
      ['if true; then', '', 2, 'sh: syntax error: unexpected end of file (expecting "fi")\n'],
      ['while true; do done', '', 2, 'sh: syntax error: unexpected "done"\n'],
      ['echo done)', '', 2, 'sh: syntax error: unexpected ")"\n'],
      ['echo "unterminated', '', 2, 'sh: syntax error: unterminated quoted string\n'],
      ['{ }', '', 2, 'sh: syntax error: unexpected "}"\n'],
      ['case x in x) echo;; y', '', 2, 'sh: syntax error: unexpected end of file (expecting ")")\n'],
      ['echo $(( 1 + 2', '', 2, "sh: syntax error: missing '))'\n"],
      ['echo ${x', '', 2, "sh: syntax error: missing '}'\n"],
      ['for 1 in a; do :; done', '', 2, 'sh: syntax error: bad for loop variable\n'],
      ['fi foo', '', 2, 'sh: syntax error: unexpected "fi"\n'],
      ['if true; then :; fi foo', '', 2, 'sh: syntax error: unexpected word\n'],
    ]);
  });

  it('a named -c script and a script file report the line', async () => {
    const k = new Kit();
    k.write('/s.sh', 'echo one\nnosuch\nexit 3\n');
    expect(await k.exec(['sh', '-c', 'echo a\nfoo', 'myname'])).toEqual({ status: 127, stdout: 'a\n', stderr: 'myname: line 1: foo: not found\n' });
    expect(await k.exec(['sh', '/s.sh'])).toEqual({ status: 3, stdout: 'one\n', stderr: '/s.sh: line 2: nosuch: not found\n' });
    // setinputfile's 127 is overwritten by ash_msg_and_raise_error's 2.
    expect(await k.exec(['sh', '/missing.sh'])).toEqual({ status: 2, stdout: '', stderr: "sh: can't open '/missing.sh': No such file or directory\n" });
    expect(await k.exec(['sh', '-c', '. /missing.sh; echo not here'])).toEqual({ status: 2, stdout: '', stderr: "sh: .: line 0: can't open '/missing.sh': No such file or directory\n" });
    expect(await k.exec(['/bin/sh', '-c'])).toEqual({ status: 2, stdout: '', stderr: '/bin/sh: -c requires an argument\n' });
    k.write('/bin/lib.sh', 'echo in lib\nnosuch\n');
    expect(await k.exec(['sh', '-c', '. lib.sh; echo $?'])).toEqual({ status: 0, stdout: 'in lib\n127\n', stderr: 'sh: /bin/lib.sh: line 2: nosuch: not found\n' });
    expect(await k.exec(['sh', '-c', '. nolib.sh'])).toEqual({ status: 2, stdout: '', stderr: 'sh: .: line 0: nolib.sh: not found\n' });
  });

  it('runs a script from stdin a line at a time, leaving the rest to the commands', async () => {
    const k = new Kit();
    const r = await k.exec(['sh'], { input: 'echo start\nread x\nthis line is data\necho "x=$x"\nif true; then\n  echo multi\nfi\nexit 4\necho never\n' });
    expect(r).toEqual({ status: 4, stdout: 'start\nx=this line is data\nmulti\n', stderr: '' });
    const s = await k.exec(['sh', '-s', 'a', 'b'], { input: 'echo $# $1\nfoo\n' });
    expect(s).toEqual({ status: 127, stdout: '2 a\n', stderr: 'sh: foo: not found\n' });
  });

  it('interactive: prompts on stderr, errors do not end it, exit does', async () => {
    const k = new Kit();
    const r = await k.exec(['sh', '-i'], { input: 'echo hi\nfoo\necho )\ncd /tmp\nexit 3\necho never\n' });
    expect(r).toEqual({ status: 3, stdout: 'hi\n', stderr: '/ # / # sh: foo: not found\n/ # sh: syntax error: unexpected ")"\n/ # /tmp # ' });
  });
});
