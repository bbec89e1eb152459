// The shape of the kubelet's RunPodSandbox and CreateContainer requests.
export function podConfig(name: string, opts: { uid?: string; namespace?: string; hostNetwork?: boolean; logDir?: string; labels?: Record<string, string> } = {}) {
  const uid = opts.uid ?? `uid-${name}`;
  const namespace = opts.namespace ?? 'default';
  return {
    metadata: { name, uid, namespace, attempt: 0 },
    hostname: name,
    log_directory: opts.logDir ?? '',
    labels: { 'io.kubernetes.pod.name': name, 'io.kubernetes.pod.namespace': namespace, 'io.kubernetes.pod.uid': uid, ...opts.labels } as Record<string, string>,
    annotations: { 'kubernetes.io/config.source': 'api', 'kubernetes.io/config.seen': '2026-11-22T00:00:00Z' } as Record<string, string>,
    linux: {
      cgroup_parent: `/kubepods/besteffort/pod${uid}`,
      security_context: { namespace_options: { network: opts.hostNetwork ? 'NODE' : 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
}

export function containerConfig(name: string, image: string, opts: { attempt?: number; podName?: string; uid?: string } = {}) {
  const attempt = opts.attempt ?? 0;
  return {
    metadata: { name, attempt },
    image: { image, user_specified_image: image },
    command: ['sleep'],
    args: ['infinity'],
    envs: [{ key: 'A', value: Buffer.from('b') }],
    log_path: `${name}/${attempt}.log`,
    labels: {
      'io.kubernetes.container.name': name,
      'io.kubernetes.pod.name': opts.podName ?? 'p',
      'io.kubernetes.pod.namespace': 'default',
      'io.kubernetes.pod.uid': opts.uid ?? 'uid-p',
    },
    annotations: { 'io.kubernetes.container.hash': 'abc123', 'io.kubernetes.container.restartCount': String(attempt) } as Record<string, string>,
    linux: { resources: { cpu_shares: '2', memory_limit_in_bytes: '134217728' }, security_context: { privileged: false } },
  };
}
