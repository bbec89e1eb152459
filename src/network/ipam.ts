import { resourceExhausted } from '../domain/errors';
import { type Cidr, bigIntToIp, parseCidr } from './cidr';

// Pod IP allocation. The allocations themselves live in the sandbox records
// (Sandbox.ips), so rebuilding from the loaded sandboxes after a restart
// restores them exactly; this class only remembers which are taken.
export class Ipam {
  private ranges: Cidr[];
  private readonly used = new Set<string>();
  private cursor = new Map<string, bigint>();

  constructor(podCidr: string) {
    this.ranges = parsePodCidr(podCidr);
  }

  // The kubelet sends the node's pod CIDRs, comma-separated when dual-stack.
  setPodCidr(podCidr: string): void {
    this.ranges = parsePodCidr(podCidr);
  }

  get podCidr(): string {
    return this.ranges.map((r) => r.text).join(',');
  }

  markUsed(ips: string[]): void {
    for (const ip of ips) this.used.add(ip);
  }

  release(ips: string[]): void {
    for (const ip of ips) this.used.delete(ip);
  }

  // One address per range: the first is PodSandboxNetworkStatus.ip, the rest
  // additional_ips. Skips the network address, the gateway (.1) and broadcast.
  allocate(): string[] {
    const out: string[] = [];
    for (const range of this.ranges) {
      const ip = this.next(range);
      if (!ip) {
        this.release(out);
        throw resourceExhausted(`no free pod IP left in ${range.text}`);
      }
      this.used.add(ip);
      out.push(ip);
    }
    return out;
  }

  private next(range: Cidr): string | undefined {
    const width = range.family === 4 ? 32 : 128;
    const hosts = 1n << BigInt(width - range.bits);
    const first = 2n;
    const last = range.family === 4 ? hosts - 2n : hosts - 1n;
    const span = last - first + 1n;
    const start = this.cursor.get(range.text) ?? first;
    // Small ranges are scanned fully; huge IPv6 ranges stop after a bounded walk.
    const limit = span < 1_000_000n ? span : 1_000_000n;
    for (let i = 0n; i < limit; i++) {
      const offset = first + ((start - first + i) % span);
      const ip = bigIntToIp(range.base + offset, range.family);
      if (!this.used.has(ip)) {
        this.cursor.set(range.text, first + ((offset - first + 1n) % span));
        return ip;
      }
    }
    return undefined;
  }
}

export function parsePodCidr(podCidr: string): Cidr[] {
  const ranges = podCidr.split(',').map((s) => parseCidr(s));
  if (ranges.length === 0 || ranges.length > 2) throw new Error(`"${podCidr}" must be one CIDR, or two for dual-stack`);
  return ranges;
}
