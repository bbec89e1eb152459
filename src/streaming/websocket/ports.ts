// The kubelet's own server (NewV4Options) reads WebSocket port-forward ports
// from the "port" query parameter: repeatable, each a comma-separated list.
// (The CRI streaming server takes them from the PortForwardRequest instead.)
// Throws with the kubelet's messages, which it answers with 400.
export function parsePortQuery(query: URLSearchParams): number[] {
  const values = query.getAll('port');
  if (values.length === 0) throw new Error('query parameter "port" is required');
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') throw new Error('query parameter "port" cannot be empty');
    for (const p of value.split(',')) {
      // strconv.ParseUint(p, 10, 16): digits only, no sign, no spaces.
      if (!/^[0-9]+$/.test(p)) throw new Error(`unable to parse "${value}" as a port: strconv.ParseUint: parsing "${p}": invalid syntax`);
      const port = Number(p);
      if (port > 65535) throw new Error(`unable to parse "${value}" as a port: strconv.ParseUint: parsing "${p}": value out of range`);
      if (port < 1) throw new Error(`port "${value}" must be > 0`);
      ports.push(port);
    }
  }
  return ports;
}
