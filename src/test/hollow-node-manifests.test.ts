import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { useChildren } from './cli';
import { needs } from './skip';
import { until } from './wait';

// deploy/hollow-node without a cluster: what `kubectl kustomize` renders holds
// together (names, paths, volumes shared by the two containers), fakecri starts
// with the Deployment's own arguments, and the kubelet knows every flag it is given.
// The server-side dry run against a real apiserver is in the README.

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const BIN = process.env.KUBE_BIN_DIR ?? '/opt/kube-bin';
const KUBECTL = join(BIN, 'kubectl');
const KUBELET = join(BIN, 'kubelet');
const noKubectl = existsSync(KUBECTL) ? undefined : `no kubectl in ${BIN} (KUBE_BIN_DIR) to render deploy/hollow-node`;
const noKubelet = existsSync(KUBELET) ? undefined : `no kubelet in ${BIN} (KUBE_BIN_DIR) to check the hollow kubelet's flags`;

interface Mount { name: string; mountPath: string }
interface Container { name: string; image: string; command?: string[]; args: string[]; volumeMounts: Mount[]; restartPolicy?: string }
interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  data?: Record<string, string>;
  spec?: any;
}

// Rendered objects as JSON: kubectl label --local reads YAML and writes one JSON
// document per object, with no apiserver.
async function render(): Promise<Obj[]> {
  const env = { ...process.env, KUBECONFIG: '/nonexistent' };
  const { stdout: yaml } = await run(KUBECTL, ['kustomize', join(ROOT, 'deploy', 'hollow-node')], { env });
  const child = execFile(KUBECTL, ['label', '--local', '-f', '-', '-o', 'json', 'fakecri-test=render'], { env });
  child.stdin!.end(yaml);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, 'kubectl label --local').toBe(0);
  return JSON.parse(`[${out.replace(/^}\n{/gm, '},{')}]`);
}

const flagOf = (arg: string) => arg.split('=')[0];

describe('deploy/hollow-node renders', needs(noKubectl), () => {
  let objs: Obj[];
  let pod: { initContainers: Container[]; containers: Container[]; volumes: any[] };
  let fakecri: Container;
  let kubelet: Container;
  const one = (kind: string) => {
    const found = objs.filter((o) => o.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0];
  };
  beforeAll(async () => {
    objs = await render();
    pod = one('Deployment').spec.template.spec;
    fakecri = pod.initContainers.find((c) => c.name === 'fakecri')!;
    kubelet = pod.containers.find((c) => c.name === 'kubelet')!;
  });

  it('as one namespace of hollow nodes, each pod a kubelet and a fakecri sidecar', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(['ClusterRoleBinding', 'ConfigMap', 'Deployment', 'Namespace', 'Secret', 'ServiceAccount']);
    const ns = one('Namespace').metadata.name;
    for (const o of objs) if (o.kind !== 'Namespace' && o.kind !== 'ClusterRoleBinding') expect(o.metadata.namespace, o.kind).toBe(ns);
    expect((one('ClusterRoleBinding') as any).subjects).toEqual([{ kind: 'ServiceAccount', name: one('ServiceAccount').metadata.name, namespace: ns }]);
    expect(one('Deployment').spec.template.spec.serviceAccountName).toBe(one('ServiceAccount').metadata.name);
    expect(fakecri.restartPolicy).toBe('Always');
    expect(pod.containers.map((c) => c.name)).toEqual(['kubelet']);
    // kustomize's images: replaced both placeholder names.
    expect(fakecri.image).toMatch(/\/fakecri:/);
    expect(kubelet.image).toMatch(/\/hollow-kubelet:/);
  });

  it('with the generated ConfigMap and Secret where the kubelet reads them', () => {
    const volume = (name: string) => pod.volumes.find((v) => v.name === name);
    const file = (arg: string) => kubelet.args.find((a) => a.startsWith(`${arg}=`))!.split('=')[1];
    const from = (path: string) => {
      const m = kubelet.volumeMounts.find((vm) => path.startsWith(`${vm.mountPath}/`))!;
      expect(m, `a volume under ${path}`).toBeDefined();
      return { volume: volume(m.name), key: path.slice(m.mountPath.length + 1) };
    };
    const config = from(file('--config'));
    expect(config.volume.configMap.name).toBe(one('ConfigMap').metadata.name);
    const kubeconfig = from(file('--kubeconfig'));
    expect(kubeconfig.volume.secret.secretName).toBe(one('Secret').metadata.name);
    expect(one('ConfigMap').data![config.key]).toMatch(/^kind: KubeletConfiguration$/m);
    expect(Buffer.from(one('Secret').data![kubeconfig.key], 'base64').toString()).toMatch(/^kind: Config$/m);
  });

  it('with fakecri serving the socket the kubelet is configured for, on a volume both mount', () => {
    const configText = Object.values(one('ConfigMap').data!)[0];
    const endpoint = /^containerRuntimeEndpoint: unix:\/\/(\S+)$/m.exec(configText)![1];
    expect(fakecri.args).toContain(`--socket=${endpoint}`);
    const dir = endpoint.slice(0, endpoint.lastIndexOf('/'));
    const at = (c: Container, path: string) => c.volumeMounts.find((m) => m.mountPath === path)?.name;
    expect(at(fakecri, dir)).toBeDefined();
    expect(at(kubelet, dir)).toBe(at(fakecri, dir));
    // CRI mounts and log paths name the kubelet's paths: fakecri sees them at the same places.
    const rootDir = kubelet.args.find((a) => a.startsWith('--root-dir='))!.split('=')[1];
    const logsDir = /^podLogsDir: (\S+)$/m.exec(configText)![1];
    for (const path of [rootDir, logsDir]) {
      expect(at(kubelet, path), path).toBeDefined();
      expect(at(fakecri, path), path).toBe(at(kubelet, path));
    }
  });

  it("with kubelet flags the kubelet in KUBE_BIN_DIR knows", needs(noKubelet), async () => {
    const { stdout } = await run(KUBELET, ['--help'], { maxBuffer: 16 << 20 });
    expect(kubelet.command).toEqual(['kubelet']);
    for (const arg of kubelet.args) expect(stdout, arg).toMatch(new RegExp(`^\\s+(-\\w, )?${flagOf(arg)}[ =]`, 'm'));
  });

  describe('fakecri with the Deployment\'s arguments', () => {
    const children = useChildren('hollow-node');
    it('starts and serves its socket', async () => {
      // The pod's absolute paths, moved under a temp dir.
      const tmp = children.tmp();
      const args = fakecri.args.map((a) => a.replace(/=\//, `=${tmp}/`));
      const socket = args.find((a) => a.startsWith('--socket='))!.split('=')[1];
      const c = children.run(args);
      await until(`fakecri ${args.join(' ')} serving ${socket}`, () => c.stderr().includes('"msg":"fakecri serving"') && existsSync(socket));
      expect(c.stderr()).not.toMatch(/error: (unknown|option)/);
    });
  });
});

describe('deploy/fakecri.Dockerfile', () => {
  it('copies only files that are in the build context', () => {
    const dockerfile = readFileSync(join(ROOT, 'deploy', 'fakecri.Dockerfile'), 'utf8');
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
    const sources = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(' '));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(existsSync(join(ROOT, src)), src).toBe(true);
      expect(ignore.filter((l) => l === `!${src}` || l === `!${src}/`), `.dockerignore lets ${src} in`).toHaveLength(1);
    }
  });
});
