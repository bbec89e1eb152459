import { Command, Option } from 'commander';
import { formatBytes } from '../config/quantity';
import { ControlClient, ControlError } from '../control/client';
import { METRICS, defaultControlSocket, routes } from '../control/routes';
import { defaultSocket } from '../serve/defaults';
import { numberedSocket } from '../serve/nodes';
import { NODES_PATH, type NodeEntry } from '../control/node-index';
import { bar, table } from './table';

interface Globals {
  control?: string;
  socket?: string;
  url?: string;
  token?: string;
  json?: boolean;
  node?: string;
}

type Row = Record<string, unknown>;

// `fakecri ctl`: the control API from the shell, human tables by default and
// --json for scripts.
export function ctlCommand(): Command {
  const ctl = new Command('ctl')
    .description('drive a running fakecri: faults, filesystems, containers, recorded calls')
    .option('--control <path>', 'control socket (default: the CRI socket with .sock → -control.sock, or $FAKECRI_CONTROL)')
    .option('--socket <path>', 'the CRI socket whose control socket to use (default as for serve)')
    .option('--url <url>', 'control API over loopback TCP instead, e.g. http://127.0.0.1:7070')
    .option('--token <token>', 'bearer token for --url (or $FAKECRI_CONTROL_TOKEN)')
    .option('--node <index|name>', 'with serve --nodes: the node to drive, by index (3) or name (fakecri-3)')
    .option('--json', 'print JSON instead of tables');

  // Flags win over the environment: --socket names the fakecri even with $FAKECRI_CONTROL set.
  const baseSocket = (g: Globals) => g.control ?? (g.socket ? defaultControlSocket(g.socket) : undefined) ?? process.env.FAKECRI_CONTROL ?? defaultControlSocket(defaultSocket());
  const client = async (): Promise<[ControlClient, Globals]> => {
    const g = ctl.opts<Globals>();
    const token = g.token ?? process.env.FAKECRI_CONTROL_TOKEN;
    if (g.node === undefined) return [new ControlClient({ socket: baseSocket(g), url: g.url, token }), g];
    if (g.url) throw new ControlError(0, '--node addresses a node through the control sockets; with --url, give the node\'s own port instead (control.tcp_port + index - 1)');
    return [new ControlClient({ socket: await nodeSocket(baseSocket(g), g.node) }), g];
  };
  const out = (g: Globals, data: unknown, human: () => string) => process.stdout.write(`${g.json ? JSON.stringify(data, null, 2) : human()}\n`);
  const act =
    <A extends unknown[]>(fn: (c: ControlClient, g: Globals, ...args: A) => Promise<void>) =>
    async (...args: A) => {
      try {
        const [c, g] = await client();
        await fn(c, g, ...args);
      } catch (err) {
        if (!(err instanceof ControlError)) throw err;
        process.stderr.write(`fakecri ctl: ${err.message}\n`);
        process.exitCode = err.status === 0 ? 2 : 1;
      }
    };

  ctl
    .command('nodes')
    .description('the nodes of a serve --nodes process: index, name, sockets')
    .action(
      act(async (_c, g) => {
        const list = await new ControlClient({ socket: baseSocket(g) }).call<NodeEntry[]>('GET', NODES_PATH).catch((err) => {
          if (err instanceof ControlError && err.status === 404) throw new ControlError(404, `${baseSocket(g)} is the control socket of a single runtime, not of serve --nodes`);
          throw err;
        });
        out(g, list, () => table(['INDEX', 'NAME', 'SOCKET', 'CONTROL', 'STATE DIR'], list.map((x) => [String(x.index), x.name, x.socket, x.controlSocket, x.stateDir])));
      }),
    );

  ctl
    .command('status')
    .description('runtime conditions and counts')
    .action(
      act(async (c, g) => {
        const s = await c.call<{ conditions: Row[] } & Row>('GET', routes.status);
        out(g, s, () =>
          [
            table(['CONDITION', 'STATUS', 'REASON', 'MESSAGE'], s.conditions.map((x) => [String(x.type), String(x.status), String(x.reason), String(x.message)])),
            '',
            `sandboxes ${s.sandboxes}  containers ${s.containers}  images ${s.images}  fault rules ${s.faults}`,
          ].join('\n'),
        );
      }),
    );

  const fs = ctl
    .command('fs')
    .description('imagefs and containerfs, df-like')
    .action(
      act(async (c, g) => {
        const list = await c.call<Row[]>('GET', routes.fs);
        out(g, list, () =>
          table(
            ['NAME', 'BACKEND', 'SIZE', 'USED(DISK)', 'AVAIL', 'USE%', '', 'FAKECRI', 'BALLAST', 'INODES', 'MOUNTPOINT'],
            list.map((f) => {
              const cap = Number(f.capacityBytes);
              const used = cap - Number(f.availableBytes);
              return [
                String(f.name),
                String(f.backend),
                formatBytes(cap),
                formatBytes(used),
                formatBytes(Number(f.availableBytes)),
                `${cap ? Math.round((used / cap) * 100) : 0}%`,
                bar(cap ? used / cap : 0),
                formatBytes(Number(f.usedBytes)),
                formatBytes(Number(f.ballastBytes)),
                `${f.inodesUsed}/${f.inodes}`,
                String(f.mountpoint),
              ];
            }),
          ),
        );
      }),
    );
  fs.command('fill <name> <amount>')
    .description('add ballast to imagefs or containerfs: a percentage of its capacity (90%) or bytes (10Gi)')
    .action(
      act(async (c, g, name: string, amount: string) => {
        const r = await c.call<Row>('POST', routes.ballast(name), { fill: amount });
        out(g, r, () => `${name}: ballast +${formatBytes(Number(r.addedBytes))}, now ${formatBytes(Number(r.ballastBytes))}`);
      }),
    );
  fs.command('drain <name>')
    .description('remove all ballast from imagefs or containerfs')
    .action(
      act(async (c, g, name: string) => {
        const r = await c.call<Row>('DELETE', routes.ballast(name));
        out(g, r, () => `${name}: ballast drained, ${formatBytes(Number(r.freedBytes))} freed`);
      }),
    );

  ctl
    .command('pods')
    .description('pod sandboxes')
    .action(
      act(async (c, g) => {
        const list = await c.call<Row[]>('GET', routes.pods);
        out(g, list, () => table(['POD ID', 'NAMESPACE/NAME', 'STATE', 'IP', 'CONTAINERS', 'CREATED'], list.map((p) => [String(p.id).slice(0, 13), `${p.namespace}/${p.name}`, String(p.state), String(p.ip || '-'), String(p.containers), String(p.createdAt)])));
      }),
    );
  ctl
    .command('containers')
    .description('containers')
    .action(
      act(async (c, g) => {
        const list = await c.call<Row[]>('GET', routes.containers);
        out(g, list, () =>
          table(
            ['CONTAINER ID', 'NAME', 'POD', 'STATE', 'EXIT', 'REASON', 'ROOTFS', 'IMAGE'],
            list.map((x) => [String(x.id).slice(0, 13), String(x.name), String(x.pod), String(x.state), x.state === 'exited' ? String(x.exitCode) : '', String(x.reason || ''), formatBytes(Number(x.rootfsBytes)), String(x.image)]),
          ),
        );
      }),
    );
  ctl
    .command('images')
    .description('images')
    .action(
      act(async (c, g) => {
        const list = await c.call<Row[]>('GET', routes.images);
        out(g, list, () => table(['IMAGE ID', 'TAGS', 'SIZE', 'LAYERS', 'PINNED'], list.map((i) => [String(i.id).slice(7, 20), (i.tags as string[]).join(',') || '<none>', formatBytes(Number(i.size)), String(i.layers), i.pinned ? 'yes' : ''])));
      }),
    );

  ctl
    .command('metrics')
    .description('the Prometheus metrics, as a scrape of /metrics sees them')
    .action(
      act(async (c) => {
        process.stdout.write(await c.text(METRICS));
      }),
    );

  ctl
    .command('calls')
    .description('the recent CRI calls, oldest first')
    .option('--follow', 'keep printing new calls as they happen')
    .option('--rpc <names>', 'only these RPCs (comma-separated)')
    .option('--since <seq>', 'only calls after this sequence number', '0')
    .option('--limit <n>', 'only the last n', '0')
    .option('--clear', 'forget the recorded calls')
    .action(
      act(async (c, g, o: { follow?: boolean; rpc?: string; since: string; limit: string; clear?: boolean }) => {
        if (o.clear) {
          const r = await c.call<Row>('DELETE', routes.calls);
          out(g, r, () => `cleared ${r.cleared} calls`);
          return;
        }
        const q = new URLSearchParams({ since: o.since, limit: o.limit });
        if (o.rpc) q.set('rpc', o.rpc);
        const line = (x: Row) =>
          g.json
            ? JSON.stringify(x)
            : `${String(x.seq).padStart(6)} ${x.time} ${String(x.method).padEnd(22)} ${String(x.code).padEnd(18)} ${Number(x.ms).toFixed(2).padStart(8)}ms ${Object.entries(x.request as Row).map(([k, v]) => `${k}=${v}`).join(' ')}${x.error ? ` error=${JSON.stringify(x.error)}` : ''}${(x.faults as string[] | undefined)?.length ? ` faults=${(x.faults as string[]).join(',')}` : ''}`;
        if (o.follow) {
          q.set('follow', '1');
          const ac = new AbortController();
          process.once('SIGINT', () => ac.abort());
          await c.follow(`${routes.calls}?${q}`, (x) => process.stdout.write(`${line(x as Row)}\n`), ac.signal);
          return;
        }
        const list = await c.call<Row[]>('GET', `${routes.calls}?${q}`);
        if (g.json) process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        else for (const x of list) process.stdout.write(`${line(x)}\n`);
      }),
    );

  const fault = ctl.command('fault').description('fault rules: add, ls, rm, release');
  fault
    .command('add')
    .description('add a fault rule; one action (--error, --delay, --hang, --close, --not-ready, --pull-error, --throttle)')
    .option('--rpc <names>', 'RPCs it applies to, comma-separated (default: all)')
    .option('--pod <ns/name>', 'only calls about this pod (namespace/name, or name)')
    .option('--container <name>', 'only calls about containers of this name')
    .option('--image <ref>', 'only calls about this image')
    .option('--probability <p>', 'act on this fraction of matching calls (0..1)')
    .option('--seed <n>', 'seed for --probability, to repeat a run exactly')
    .option('--after <n>', 'skip the first n matching calls')
    .option('--every <n>', 'act on every n-th matching call')
    .option('--first <n>', 'act at most n times')
    .option('--start-after <duration>', 'start this long after now (30s, 2m)')
    .option('--for <duration>', 'stop this long after starting')
    .option('--error <code[:message]>', 'answer with this gRPC code (UNAVAILABLE, DEADLINE_EXCEEDED …)')
    .option('--delay <duration>', 'delay the call (500ms, 2s)')
    .option('--jitter <duration>', 'with --delay: add up to this much at random')
    .option('--hang', 'hold the call until its deadline or `fault release`')
    .option('--close', 'drop the connection')
    .addOption(new Option('--not-ready <condition>', 'hold a runtime condition false').choices(['RuntimeReady', 'NetworkReady']))
    .option('--reason <reason>', 'with --not-ready: the reason')
    .option('--message <message>', 'with --not-ready: the message')
    .addOption(new Option('--pull-error <kind>', 'make PullImage fail as a registry would').choices(['not-found', 'unauthorized', 'timeout', 'too-many-requests']))
    .option('--throttle <bandwidth>', 'limit PullImage to this many bytes per second (1Mi)')
    .option('--rule <json>', 'the whole rule as JSON instead (see README)')
    .action(
      act(async (c, g, o: Record<string, string | boolean | undefined>) => {
        const rule = o.rule ? parseJson(String(o.rule)) : ruleFromFlags(o);
        const r = await c.call<Row>('POST', routes.faults, rule);
        out(g, r, () => `fault rule ${r.id} added`);
      }),
    );
  fault
    .command('ls')
    .description('list fault rules')
    .action(
      act(async (c, g) => {
        const list = await c.call<Row[]>('GET', routes.faults);
        out(g, list, () =>
          table(
            ['ID', 'RPCS', 'MATCH', 'ACTION', 'MATCHED', 'APPLIED', 'SOURCE'],
            list.map((r) => [String(r.id), (r.rpcs as string[]).join(',') || '*', [r.pod && `pod=${r.pod}`, r.container && `container=${r.container}`, r.image && `image=${r.image}`].filter(Boolean).join(' ') || '-', describeAction(r.action as Row), String(r.matched), String(r.applied), String(r.source)]),
          ),
        );
      }),
    );
  fault
    .command('rm <id>')
    .description('remove a fault rule')
    .action(
      act(async (c, g, id: string) => {
        const r = await c.call('DELETE', routes.fault(id));
        out(g, r, () => `fault rule ${id} removed`);
      }),
    );
  fault
    .command('release <id>')
    .description('let the calls a hang rule holds go on')
    .action(
      act(async (c, g, id: string) => {
        const r = await c.call('POST', routes.faultRelease(id));
        out(g, r, () => `fault rule ${id}: held calls released`);
      }),
    );

  // `container ID ACTION ...`, in the order the issue and users write it.
  ctl
    .command('container <id> <action> [args...]')
    .description(
      [
        'act on one container (id or unique prefix):',
        '  exit CODE [--reason R] [--message M]   end it with this exit code',
        '  behaviour [JSON] [--clear]             show, set or clear its behaviour (see README)',
        "  write BYTES                            grow its writable layer (10Mi)",
        '  exec-script --exit-code N [--from S] [--until S] [--command TEXT] [--stdout T] [--stderr T]',
        '                                         script ExecSync answers (a probe failing from second S)',
        '  exec-scripts                           list its exec scripts',
      ].join('\n'),
    )
    .option('--reason <reason>', 'exit: reason (default: Completed for 0, Error otherwise; e.g. OOMKilled)')
    .option('--message <message>', 'exit: message')
    .option('--clear', 'behaviour: remove the behaviour set through the control API')
    .option('--exit-code <n>', 'exec-script: exit code to answer')
    .option('--from <seconds>', 'exec-script: from this many seconds after the container started', '0')
    .option('--until <seconds>', 'exec-script: until this many seconds after it started')
    .option('--command <text>', 'exec-script: only commands containing this text')
    .option('--stdout <text>', 'exec-script: stdout to answer', '')
    .option('--stderr <text>', 'exec-script: stderr to answer', '')
    .action(
      act(async (c, g, id: string, action: string, args: string[], o: Record<string, string | boolean | undefined>) => {
        switch (action) {
          case 'exit': {
            if (args.length !== 1) throw new ControlError(400, 'usage: container ID exit CODE [--reason R] [--message M]');
            const r = await c.call<Row>('POST', routes.containerExit(id), { code: Number(args[0]), reason: o.reason, message: o.message });
            out(g, r, () => `container ${String(r.id).slice(0, 13)} exited ${r.exitCode} (${r.reason})`);
            return;
          }
          case 'behaviour': {
            const r = o.clear
              ? await c.call('DELETE', routes.containerBehaviour(id))
              : args[0]
                ? await c.call('PUT', routes.containerBehaviour(id), parseJson(args[0]))
                : await c.call('GET', routes.containerBehaviour(id));
            out(g, r, () => JSON.stringify(r, null, 2));
            return;
          }
          case 'write': {
            if (args.length !== 1) throw new ControlError(400, 'usage: container ID write BYTES');
            const r = await c.call<Row>('POST', routes.containerRootfs(id), { bytes: args[0] });
            out(g, r, () => `container ${String(r.id).slice(0, 13)}: writable layer ${formatBytes(Number(r.rootfsBytes))}`);
            return;
          }
          case 'exec-script': {
            if (o.exitCode === undefined) throw new ControlError(400, 'exec-script needs --exit-code');
            const r = await c.call<Row>('POST', routes.containerExecScripts(id), {
              exit_code: Number(o.exitCode),
              from_seconds: Number(o.from),
              until_seconds: o.until === undefined ? undefined : Number(o.until),
              command: o.command,
              stdout: o.stdout,
              stderr: o.stderr,
            });
            out(g, r, () => `exec script ${r.id} added`);
            return;
          }
          case 'exec-scripts': {
            const list = await c.call<Row[]>('GET', routes.containerExecScripts(id));
            out(g, list, () => table(['ID', 'FROM', 'UNTIL', 'COMMAND', 'EXIT'], list.map((s) => [String(s.id), String(s.from_seconds), String(s.until_seconds ?? '-'), String(s.command ?? '*'), String(s.exit_code)])));
            return;
          }
          default:
            throw new ControlError(400, `unknown container action "${action}" (exit, behaviour, write, exec-script, exec-scripts)`);
        }
      }),
    );
  ctl
    .command('exec-script-rm <id>')
    .description('remove an exec script')
    .action(
      act(async (c, g, id: string) => {
        const r = await c.call('DELETE', routes.execScript(id));
        out(g, r, () => `exec script ${id} removed`);
      }),
    );
  return ctl;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ControlError(400, `not JSON: ${(err as Error).message}`);
  }
}

function ruleFromFlags(o: Record<string, string | boolean | undefined>): Row {
  const num = (k: string) => (o[k] === undefined ? undefined : Number(o[k]));
  const actions = ['error', 'delay', 'hang', 'close', 'notReady', 'pullError', 'throttle'].filter((k) => o[k] !== undefined && o[k] !== false);
  if (actions.length !== 1) throw new ControlError(400, `give exactly one action (--error, --delay, --hang, --close, --not-ready, --pull-error or --throttle); got ${actions.length}`);
  let action: Row;
  switch (actions[0]) {
    case 'error': {
      const [code, ...msg] = String(o.error).split(':');
      action = { type: 'error', code, ...(msg.length ? { message: msg.join(':') } : {}) };
      break;
    }
    case 'delay':
      action = { type: 'delay', delay: o.delay, ...(o.jitter ? { jitter: o.jitter } : {}) };
      break;
    case 'notReady':
      action = { type: 'not-ready', condition: o.notReady, ...(o.reason ? { reason: o.reason } : {}), ...(o.message ? { message: o.message } : {}) };
      break;
    case 'pullError':
      action = { type: 'pull-error', kind: o.pullError };
      break;
    case 'throttle':
      action = { type: 'throttle', bandwidth: o.throttle };
      break;
    default:
      action = { type: actions[0] };
  }
  const rule: Row = { action };
  if (o.rpc) rule.rpcs = String(o.rpc).split(',').filter(Boolean);
  for (const k of ['pod', 'container', 'image'] as const) if (o[k]) rule[k] = o[k];
  if (o.probability !== undefined) rule.probability = num('probability');
  for (const k of ['seed', 'after', 'every', 'first'] as const) if (o[k] !== undefined) rule[k] = num(k);
  if (o.startAfter) rule.start_after = o.startAfter;
  if (o.for) rule.duration = o.for;
  return rule;
}

function describeAction(a: Row): string {
  switch (a.type) {
    case 'error':
      return `error ${a.code}: ${a.message}`;
    case 'delay':
      return `delay ${a.delay}ms${a.jitter ? ` ±${a.jitter}ms` : ''}`;
    case 'not-ready':
      return `${a.condition}=false (${a.reason})`;
    case 'pull-error':
      return `pull error ${a.kind}`;
    case 'throttle':
      return `throttle ${formatBytes(Number(a.bandwidth))}/s`;
    default:
      return String(a.type);
  }
}

// A node's own control socket: by index, numbered from the base control
// socket as serve numbers it; by name, looked up in the list the base
// control socket serves.
async function nodeSocket(base: string, node: string): Promise<string> {
  if (/^[0-9]+$/.test(node)) {
    if (Number(node) < 1) throw new ControlError(0, `--node ${node}: nodes are numbered from 1`);
    return numberedSocket(base, Number(node));
  }
  const list = await new ControlClient({ socket: base }).call<NodeEntry[]>('GET', NODES_PATH);
  const found = list.find((x) => x.name === node);
  if (!found) throw new ControlError(404, `--node ${node}: no node of that name (nodes: ${list.map((x) => x.name).join(', ')})`);
  return found.controlSocket;
}
