import { request } from 'node:http';
import { routes } from '../../control/routes';
import type { Known } from './requests';
import type { Rng } from './rng';
import { hostileString, randomJson } from './values';

// Calls on the control API: every endpoint, with valid, mutated and random
// bodies, odd methods and paths.
export interface ControlResult {
  status: number;
  body: string;
  ms: number;
  // A fault rule that could hold CRI calls (hang, a long delay, a slow
  // throttle) was accepted: the fuzzer removed it at once, and counts calls
  // it held apart from hangs.
  holdingRule?: string;
}

export function controlRequest(socket: string, method: string, path: string, body: unknown, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(
      { socketPath: socket, method, path, agent: false, headers: text === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }, timeout: timeoutMs },
      (res) => {
        let out = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (out += d.length < 1e6 ? d : ''));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: out }));
        res.on('error', () => resolve({ status: -1, body: out }));
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve({ status: -2, body: 'timed out' });
    });
    req.on('error', (err) => resolve({ status: -1, body: err.message }));
    if (text !== undefined) req.write(text);
    req.end();
  });
}

// Rules that only answer (never hold a call) and expire soon.
function safeRule(rng: Rng): Record<string, unknown> {
  // One RPC each, for a second or a few calls: rules on every RPC would
  // answer most of the run themselves.
  const rpcs = [rng.pick(['Version', 'ListContainers', 'CreateContainer', 'StartContainer', 'PullImage', 'StopPodSandbox', 'ExecSync'])];
  return rng.pick([
    { rpcs, action: { type: 'error', code: rng.pick(['UNAVAILABLE', 'INTERNAL', 'UNKNOWN', 'DEADLINE_EXCEEDED']), message: 'fuzz' }, first: 1 + rng.int(5), duration: '1s' },
    { rpcs, action: { type: 'delay', delay: '50ms', jitter: '20ms' }, first: 3, duration: '1s' },
    { action: { type: 'not-ready', condition: 'RuntimeReady' }, duration: '1s' },
    { rpcs: ['PullImage'], image: 'fuzz/app:1', action: { type: 'pull-error', kind: 'not-found' }, first: 2 },
    { rpcs: ['PullImage'], action: { type: 'throttle', bandwidth: '100Gi' }, duration: '1s' },
    { rpcs, probability: 0.5, seed: rng.int(1000), action: { type: 'error', code: 'ABORTED' }, duration: '1s' },
  ]);
}

function holds(rule: { action?: { type?: string; delay?: number; bandwidth?: number } }): boolean {
  const a = rule.action ?? {};
  return a.type === 'hang' || a.type === 'close' || (a.type === 'delay' && (a.delay ?? 0) > 200) || (a.type === 'throttle' && (a.bandwidth ?? 0) < 2 ** 30);
}

export async function controlOp(rng: Rng, socket: string, known: Known, timeoutMs: number): Promise<ControlResult> {
  const t = Date.now();
  const cid = () => (known.containers.length && rng.chance(0.8) ? rng.pick(known.containers).id : hostileString(rng, known.ids()).slice(0, 100));
  const q = (s: string) => encodeURIComponent(s);
  const ops: (() => [string, string, unknown])[] = [
    () => ['GET', rng.pick([routes.status, routes.fs, routes.pods, routes.containers, routes.images, routes.faults]), undefined],
    () => ['GET', `${routes.calls}?since=${rng.pick(['0', '-1', 'x', '99999999999'])}&limit=${rng.pick(['10', '0', '-5', 'abc'])}&rpc=${rng.pick(['Version', 'Bogus', ''])}`, undefined],
    () => ['POST', routes.faults, safeRule(rng)],
    () => ['POST', routes.faults, rng.chance(0.5) ? randomJson(rng) : { ...safeRule(rng), [rng.pick(['after', 'every', 'first', 'probability', 'start_after', 'rpcs', 'pod'])]: randomJson(rng) }],
    () => ['DELETE', routes.fault(rng.chance(0.5) ? 'nope' : hostileString(rng).slice(0, 100)), undefined],
    () => ['POST', routes.faultRelease(hostileString(rng).slice(0, 50) || 'x'), undefined],
    () => ['POST', routes.containerExit(cid()), rng.chance(0.6) ? { code: rng.int(256), reason: 'Fuzz' } : randomJson(rng)],
    () => ['GET', routes.containerBehaviour(cid()), undefined],
    () => ['PUT', routes.containerBehaviour(cid()), rng.chance(0.5) ? { exit_after: '2s', log: { rate: 5, line_size: 40, total: 20 } } : randomJson(rng)],
    () => ['DELETE', routes.containerBehaviour(cid()), undefined],
    () => ['POST', routes.containerRootfs(cid()), { bytes: rng.pick(['1Mi', '0', '-1', 'x', '1Pi', 2 ** 60, '10Gi']) }],
    () => ['GET', routes.containerExecScripts(cid()), undefined],
    () => ['POST', routes.containerExecScripts(cid()), rng.chance(0.5) ? { exit_code: rng.int(256), command: 'cat', stdout: 'x', until_seconds: 60 } : randomJson(rng)],
    () => ['DELETE', routes.execScript(hostileString(rng).slice(0, 50) || 'x'), undefined],
    () => ['POST', routes.ballast(rng.pick(['imagefs', 'containerfs', '..', 'x'])), { fill: rng.pick(['10%', '1Gi', '101%', '-1', 'x', 1e300]) }],
    () => ['DELETE', routes.ballast(rng.pick(['imagefs', 'containerfs'])), undefined],
    () => [rng.pick(['PATCH', 'OPTIONS', 'PUT', 'GET']), rng.pick(['/', '/v1', '/v2/x', `/v1/${q(hostileString(rng))}`, '/v1/containers/%ff/exit', `/v1/containers/${'a'.repeat(5000)}`]), undefined],
    () => ['POST', routes.faults, rng.pick(['{', '[]', '"x"', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'null', ' '.repeat(2 * 2 ** 20)])],
  ];
  let op: [string, string, unknown];
  try {
    op = rng.pick(ops)();
  } catch {
    // A string encodeURIComponent refuses (a lone surrogate): the raw path.
    op = ['GET', `/v1/containers/${hostileString(rng).replace(/[^\x21-\x7e]/g, '_').slice(0, 100)}/behaviour`, undefined];
  }
  const [method, path, body] = op;
  const res = await controlRequest(socket, method, path, body, timeoutMs);
  const result: ControlResult = { status: res.status, body: res.body, ms: Date.now() - t };
  if (method === 'POST' && path === routes.faults && res.status === 201) {
    let rule: { id?: string; action?: { type?: string; delay?: number; bandwidth?: number } } = {};
    try {
      rule = JSON.parse(res.body);
    } catch {
      // Not JSON: counted by its status.
    }
    if (rule.id && holds(rule)) {
      result.holdingRule = rule.id;
      await controlRequest(socket, 'DELETE', routes.fault(rule.id), undefined, timeoutMs);
    }
  }
  return result;
}
