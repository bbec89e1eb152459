// The control API's paths, shared by the server and `fakecri ctl`.
export const API = '/v1';

// Prometheus metrics, in the text format, at the usual path.
export const METRICS = '/metrics';

export const routes = {
  status: `${API}/status`,
  fs: `${API}/fs`,
  ballast: (fs: string) => `${API}/fs/${encodeURIComponent(fs)}/ballast`,
  pods: `${API}/pods`,
  containers: `${API}/containers`,
  images: `${API}/images`,
  calls: `${API}/calls`,
  faults: `${API}/faults`,
  fault: (id: string) => `${API}/faults/${encodeURIComponent(id)}`,
  faultRelease: (id: string) => `${API}/faults/${encodeURIComponent(id)}/release`,
  containerExit: (id: string) => `${API}/containers/${encodeURIComponent(id)}/exit`,
  containerBehaviour: (id: string) => `${API}/containers/${encodeURIComponent(id)}/behaviour`,
  containerRootfs: (id: string) => `${API}/containers/${encodeURIComponent(id)}/rootfs`,
  containerExecScripts: (id: string) => `${API}/containers/${encodeURIComponent(id)}/exec-scripts`,
  execScript: (id: string) => `${API}/exec-scripts/${encodeURIComponent(id)}`,
} as const;

// The default control socket: the CRI socket with .sock → -control.sock.
export function defaultControlSocket(criSocket: string): string {
  return criSocket.endsWith('.sock') ? `${criSocket.slice(0, -'.sock'.length)}-control.sock` : `${criSocket}-control.sock`;
}
