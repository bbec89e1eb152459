import { EventEmitter } from 'node:events';
import { type ErrorCode, FakecriError, invalidArgument, resourceExhausted } from '../domain/errors';
import { newId } from '../domain/ids';
import { normalizeReference } from '../images/reference';
import { Failpoint, parseFailpoint } from './failpoint';
import { type Rule, type RuleInput, ruleSchema } from './rules';

// What a call is about, as far as rules can match on it.
export interface CallInfo {
  method: string;
  pod?: { namespace: string; name: string; uid: string; annotations: Record<string, string> };
  container?: string;
  image?: string; // normalised
}

export type Decision =
  | { kind: 'error'; code: ErrorCode; message: string; rule: string }
  | { kind: 'hang'; rule: string }
  | { kind: 'close'; rule: string };

export interface Verdict {
  delayMs: number;
  decision?: Decision;
  rules: string[];
}

export const FAILPOINT_PREFIX = 'fakecri.io/failpoint.';

// Every call is checked against every rule: their number is bounded.
export const MAX_RULES = 1000;

// The registry failures PullImage can be made to show, worded as containerd
// words them, so that the kubelet's ErrImagePull message looks familiar.
const PULL_ERRORS: Record<string, (image: string) => { code: ErrorCode; message: string }> = {
  'not-found': (i) => ({ code: 'NOT_FOUND', message: `failed to pull and unpack image "${i}": failed to resolve reference "${i}": ${i}: not found` }),
  unauthorized: (i) => ({
    code: 'UNKNOWN',
    message: `failed to pull and unpack image "${i}": failed to resolve reference "${i}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`,
  }),
  timeout: (i) => ({
    code: 'UNKNOWN',
    message: `failed to pull and unpack image "${i}": failed to resolve reference "${i}": failed to do request: Head "https://${i.split('/')[0]}/v2/": dial tcp: i/o timeout`,
  }),
  'too-many-requests': (i) => ({
    code: 'UNKNOWN',
    message: `failed to pull and unpack image "${i}": failed to copy: httpReadSeeker: failed open: unexpected status code https://${i.split('/')[0]}/v2/: 429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate limit`,
  }),
};

interface Compiled {
  rule: Rule;
  createdMs: number;
  random: () => number;
  podNs?: string;
  podName?: string;
}

// Holds the fault rules and decides, per call, what happens to it. With no
// rules and no failpoint annotations, evaluate() returns at once: the cost on
// the hot path is one check.
export class FaultEngine {
  private readonly rules = new Map<string, Compiled>();
  private readonly failpoints = new Map<string, Failpoint>();
  private readonly releases = new EventEmitter();
  // Pods (by uid) that carry failpoint annotations.
  private readonly failpointPods = new Set<string>();

  constructor(private readonly knownRpcs: readonly string[]) {
    this.releases.setMaxListeners(0);
  }

  get active(): boolean {
    return this.rules.size > 0 || this.failpointPods.size > 0;
  }

  add(input: RuleInput, source: Rule['source']): Rule {
    const parsed = ruleSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw invalidArgument(`fault rule field "${issue.path.join('.') || '(root)'}": ${issue.message}`);
    }
    const spec = parsed.data;
    if (this.rules.size >= MAX_RULES) throw resourceExhausted(`fault rules: there are already ${MAX_RULES}, the most fakecri holds; remove some first`);
    for (const rpc of spec.rpcs) if (!this.knownRpcs.includes(rpc)) throw invalidArgument(`fault rule field "rpcs": unknown RPC "${rpc}"`);
    if (spec.action.type === 'pull-error' || spec.action.type === 'throttle') {
      if (spec.rpcs.some((r) => r !== 'PullImage')) throw invalidArgument(`fault rule field "rpcs": a ${spec.action.type} rule applies to PullImage only`);
      spec.rpcs = ['PullImage'];
    }
    const image = spec.image ? normalizeReference(spec.image, 'fault rule field "image"') : undefined;
    const [podNs, podName] = spec.pod?.includes('/') ? spec.pod.split('/', 2) : [undefined, spec.pod];
    const rule: Rule = { ...spec, image, id: newId().slice(0, 12), source, createdAt: new Date().toISOString(), matched: 0, applied: 0 };
    this.rules.set(rule.id, { rule, createdMs: Date.now(), random: mulberry32(spec.seed ?? Math.floor(Math.random() * 2 ** 31)), podNs, podName });
    return { ...rule };
  }

  remove(id: string): boolean {
    const found = this.rules.delete(id);
    if (found) this.releases.emit(id);
    return found;
  }

  list(): Rule[] {
    return [...this.rules.values()].map((c) => ({ ...c.rule }));
  }

  get(id: string): Rule | undefined {
    const c = this.rules.get(id);
    return c && { ...c.rule };
  }

  // Lets the calls a hang rule holds go on.
  release(id: string): boolean {
    if (!this.rules.has(id)) return false;
    this.releases.emit(id);
    return true;
  }

  waitForRelease(id: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        signal.removeEventListener('abort', abort);
        resolve();
      };
      const abort = () => {
        this.releases.off(id, done);
        reject(new FakecriError('DEADLINE_EXCEEDED', `held by fault rule ${id} until the caller gave up`));
      };
      this.releases.once(id, done);
      signal.addEventListener('abort', abort, { once: true });
    });
  }

  // Throws INVALID_ARGUMENT for a failpoint annotation that does not parse;
  // says whether there is any.
  checkAnnotations(annotations: Record<string, string>): boolean {
    let any = false;
    for (const [key, value] of Object.entries(annotations)) {
      if (!key.startsWith(FAILPOINT_PREFIX)) continue;
      const rpc = key.slice(FAILPOINT_PREFIX.length);
      if (!this.knownRpcs.includes(rpc)) throw invalidArgument(`annotation "${key}": unknown RPC "${rpc}"`);
      parseFailpoint(value, `annotation "${key}"`);
      any = true;
    }
    return any;
  }

  // Call when a sandbox is created or loaded: pods with failpoint annotations
  // make the engine look at their calls.
  watchPod(uid: string, annotations: Record<string, string>): void {
    if (this.checkAnnotations(annotations)) this.failpointPods.add(uid);
  }

  forgetPod(uid: string): void {
    if (!this.failpointPods.delete(uid)) return;
    for (const key of this.failpoints.keys()) if (key.startsWith(`${uid}/`)) this.failpoints.delete(key);
  }

  // Whether any rule would need to know the call's pod, container or image.
  needsDetail(): boolean {
    if (this.failpointPods.size > 0) return true;
    for (const c of this.rules.values()) if (c.rule.pod || c.rule.container || c.rule.image || c.rule.action.type === 'pull-error') return true;
    return false;
  }

  evaluate(info: CallInfo): Verdict | undefined {
    let delayMs = 0;
    let decision: Decision | undefined;
    const rules: string[] = [];
    const now = Date.now();
    for (const c of this.rules.values()) {
      const r = c.rule;
      const t = r.action.type;
      if (t === 'not-ready' || t === 'throttle') continue;
      if (!this.matches(c, info, now)) continue;
      r.matched++;
      const n = r.matched - r.after;
      if (n <= 0 || n % r.every !== 0) continue;
      if (r.first !== undefined && r.applied >= r.first) continue;
      if (r.probability < 1 && c.random() >= r.probability) continue;
      r.applied++;
      rules.push(r.id);
      const a = r.action;
      if (a.type === 'delay') delayMs += a.delay + (a.jitter ? c.random() * a.jitter : 0);
      else if (!decision) {
        if (a.type === 'error') decision = { kind: 'error', code: a.code, message: a.message, rule: r.id };
        else if (a.type === 'pull-error') decision = { kind: 'error', ...PULL_ERRORS[a.kind](info.image ?? 'unknown'), rule: r.id };
        else decision = { kind: a.type, rule: r.id };
      }
    }
    const fp = this.failpoint(info);
    if (fp?.type === 'delay') delayMs += Number(fp.arg);
    else if (fp && !decision && (fp.type === 'error' || fp.type === 'panic')) {
      decision = { kind: 'error', code: 'UNKNOWN', message: fp.type === 'panic' ? `panic: ${fp.arg}` : fp.arg, rule: 'failpoint' };
    }
    if (fp && fp.type !== 'off') rules.push(`failpoint.${info.method}`);
    if (!delayMs && !decision) return undefined;
    return { delayMs, decision, rules };
  }

  private failpoint(info: CallInfo) {
    const pod = info.pod;
    if (!pod || (!this.failpointPods.has(pod.uid) && info.method !== 'RunPodSandbox')) return undefined;
    const spec = pod.annotations[FAILPOINT_PREFIX + info.method];
    if (!spec) return undefined;
    const key = `${pod.uid}/${info.method}/${spec}`;
    let fp = this.failpoints.get(key);
    if (!fp) this.failpoints.set(key, (fp = new Failpoint(parseFailpoint(spec, `annotation "${FAILPOINT_PREFIX}${info.method}"`))));
    return fp.next();
  }

  private matches(c: Compiled, info: CallInfo, now: number): boolean {
    const r = c.rule;
    if (r.rpcs.length && !r.rpcs.includes(info.method)) return false;
    const age = now - c.createdMs;
    if (age < r.start_after || (r.duration !== undefined && age >= r.start_after + r.duration)) return false;
    if (c.podName && (info.pod?.name !== c.podName || (c.podNs && info.pod?.namespace !== c.podNs))) return false;
    if (r.container && info.container !== r.container) return false;
    if (r.image && info.image !== r.image) return false;
    return true;
  }

  // Conditions that not-ready rules hold false right now.
  conditionOverrides(): Map<string, { reason: string; message: string }> {
    const out = new Map<string, { reason: string; message: string }>();
    const now = Date.now();
    for (const c of this.rules.values()) {
      const a = c.rule.action;
      if (a.type !== 'not-ready' || !this.inWindow(c, now)) continue;
      if (!out.has(a.condition)) out.set(a.condition, { reason: a.reason, message: a.message });
    }
    return out;
  }

  // The slowest throttle that applies to pulling `image`, if any.
  pullBandwidth(image: string): number | undefined {
    let bw: number | undefined;
    const now = Date.now();
    for (const c of this.rules.values()) {
      const a = c.rule.action;
      if (a.type !== 'throttle' || !this.inWindow(c, now)) continue;
      if (c.rule.image && c.rule.image !== image) continue;
      bw = bw === undefined ? a.bandwidth : Math.min(bw, a.bandwidth);
    }
    return bw;
  }

  private inWindow(c: Compiled, now: number): boolean {
    const age = now - c.createdMs;
    return age >= c.rule.start_after && (c.rule.duration === undefined || age < c.rule.start_after + c.rule.duration);
  }
}

// A small seeded PRNG (mulberry32): rules with a seed repeat exactly.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
