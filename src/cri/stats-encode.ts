import type { App } from '../app';
import { nowNanos } from '../domain/clock';
import type { Container } from '../store/container';
import type { Sandbox } from '../store/sandbox';
import { type Figures, newFigures, podSums } from '../stats/model';
import { type Encoded, Wire } from './encode';
import { type Entries, Layouts, ListAnswer } from './stats-answer';
import { ContainerLayout, type Moment, PodLayout } from './stats-layout';

// ListContainerStats and ListPodSandboxStats, encoded straight from the stats
// model. The attributes (id, metadata, labels, annotations: most of the
// bytes) are encoded once per record and kept while it is unchanged (see
// encode.ts); each entry is written once, and after that copied from the
// last answer with its timestamp and CPU time patched, while its other
// figures stay (stats-answer.ts, stats-layout.ts). Building the same answer
// as objects for proto-loader cost 10,000 containers most of a second,
// mostly in garbage collection. The messages are the ones convert.ts builds
// for the unary ContainerStats and PodSandboxStats; the tests compare the
// two.

// Average encoded sizes, to size the first answer's buffer.
const CONTAINER_BYTES = 600;
const SANDBOX_BYTES = 400;

// What every entry of one answer shares: one moment, at which every figure
// is read (CPU time included), and the pieces encoded once for it.
class Shared implements Moment {
  readonly ts: Buffer;
  readonly nowMs: number;
  readonly fsId: Buffer;
  readonly eth0 = Buffer.from('eth0');
  // Scratch for one container's figures, a pod's (see podFigures) and
  // their sums.
  readonly f = newFigures();
  readonly pod: Figures[] = [];
  readonly sums = newFigures();

  constructor(app: App, ns: string) {
    this.ts = new Wire(16).tag(1, 0).varint(BigInt(ns)).finish();
    this.nowMs = Number(BigInt(ns) / 1_000_000n);
    this.fsId = new Wire(64).bytes(1, Buffer.from(app.stats.mountpoint)).finish();
  }
}

// Each App's last answers, and the container records' generation when the
// pods' was built (see podEntries).
interface Answers {
  containers: ListAnswer<Container, ContainerLayout>;
  pods: ListAnswer<Sandbox, PodLayout>;
  // The pods' running containers by record, written inside their pods.
  podContainers: Layouts<Container, ContainerLayout>;
  podsGeneration: number;
}
const answers = new WeakMap<App, Answers>();

function answersOf(app: App): Answers {
  let a = answers.get(app);
  if (a === undefined) {
    a = { containers: new ListAnswer(), pods: new ListAnswer(), podContainers: new Layouts(), podsGeneration: -1 };
    answers.set(app, a);
  }
  return a;
}

const newContainer = (c: Container) => new ContainerLayout(c);
const newPod = (s: Sandbox) => new PodLayout(s);

// A ListContainerStatsResponse holding these containers' stats, at moment
// `ns` (now; the tests choose one).
export function encodeContainerStats(app: App, containers: Container[], ns = nowNanos()): Encoded {
  const sh = new Shared(app, ns);
  const answer = answersOf(app).containers;
  const entries: Entries<Container, ContainerLayout> = {
    layout: (c) => answer.layouts.of(c, newContainer),
    fits: (l, inLast) => {
      const f = app.stats.readKept(l.record, l, sh.nowMs, sh.f);
      return inLast && l.fits(f, sh);
    },
    // Right after fits(): sh.f holds its figures.
    write: (w, l) => l.write(w, 1, sh.f, sh),
    patch: (buf, body, l) => l.patch(buf, body, sh),
  };
  return answer.encode(containers, entries, containers.length * CONTAINER_BYTES);
}

// A ListPodSandboxStatsResponse holding these sandboxes' stats.
export function encodePodSandboxStats(app: App, sandboxes: Sandbox[], ns = nowNanos()): Encoded {
  const sh = new Shared(app, ns);
  const a = answersOf(app);
  const generation = app.containers.store.generation;
  const entries = podEntries(app, a, sh, a.podsGeneration === generation);
  a.podsGeneration = -1;
  const bytes = a.pods.encode(sandboxes, entries, sandboxes.length * (SANDBOX_BYTES + CONTAINER_BYTES));
  a.podsGeneration = generation;
  return bytes;
}

// `unchanged`: no container record has changed since the last answer, so
// a pod in it has the same running containers as then.
function podEntries(app: App, a: Answers, sh: Shared, unchanged: boolean): Entries<Sandbox, PodLayout> {
  // The pod fits() last looked at: its running containers, their figures
  // and sums, for write().
  let running: ContainerLayout[] = [];
  let figures: Figures[] = sh.pod;
  return {
    layout: (s) => a.pods.layouts.of(s, newPod),
    fits: (l, inLast) => {
      running = inLast && unchanged ? l.containers : runningOf(app, a, l);
      figures = podFigures(app, running, sh);
      podSums(figures, running.length, sh.sums);
      return inLast && sameContainers(l, running) && l.fits(sh.sums, figures, sh);
    },
    write: (w, l) => l.write(w, 1, running, figures, sh.sums, sh),
    patch: (buf, body, l) => l.patch(buf, body, sh),
  };
}

// The pod's running containers' layouts, those it was written with kept.
function runningOf(app: App, a: Answers, l: PodLayout): ContainerLayout[] {
  const cs = app.stats.running(l.record);
  return cs.map((c, i) => (l.containers[i]?.record === c ? l.containers[i] : a.podContainers.of(c, newContainer)));
}

function sameContainers(l: PodLayout, running: ContainerLayout[]): boolean {
  if (l.containers === running) return true;
  if (l.containers.length !== running.length) return false;
  for (let i = 0; i < running.length; i++) if (l.containers[i] !== running[i]) return false;
  return true;
}

// The figures of the pod's running containers, each read once into the
// answer's scratch (the sums come before the containers in the message).
function podFigures(app: App, containers: ContainerLayout[], sh: Shared): Figures[] {
  while (sh.pod.length < containers.length) sh.pod.push(newFigures());
  for (let i = 0; i < containers.length; i++) app.stats.readKept(containers[i].record, containers[i], sh.nowMs, sh.pod[i]);
  return sh.pod;
}

// The same, one entry (field 1 of the answer) per item as they are taken,
// for the Stream* lists: the items share one timestamp. Written whole, with
// layouts of their own (the lists' describe the lists' last answers).
export function* containerStatsEntries(app: App, containers: Iterable<Container>, ns = nowNanos()): Generator<Uint8Array> {
  const sh = new Shared(app, ns);
  for (const c of containers) {
    const l = new ContainerLayout(c);
    const w = new Wire(CONTAINER_BYTES);
    l.write(w, 1, app.stats.readKept(c, l, sh.nowMs, sh.f), sh);
    yield w.finish();
  }
}

export function* podSandboxStatsEntries(app: App, sandboxes: Iterable<Sandbox>, ns = nowNanos()): Generator<Uint8Array> {
  const sh = new Shared(app, ns);
  for (const s of sandboxes) {
    const running = app.stats.running(s).map(newContainer);
    const figures = podFigures(app, running, sh);
    const w = new Wire(SANDBOX_BYTES + running.length * CONTAINER_BYTES);
    new PodLayout(s).write(w, 1, running, figures, podSums(figures, running.length, sh.sums), sh);
    yield w.finish();
  }
}
