import { isIPv4, isIPv6 } from 'node:net';

export interface Cidr {
  family: 4 | 6;
  base: bigint; // network address
  bits: number;
  text: string;
}

export function parseCidr(text: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a CIDR (like 10.88.0.0/16)`);
  const [, addr, lenText] = m;
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0;
  if (family === 0) throw new Error(`"${text}" does not start with an IP address`);
  const width = family === 4 ? 32 : 128;
  const bits = Number(lenText);
  if (bits > width - 2) throw new Error(`"${text}" leaves no room for pod addresses`);
  const hostBits = BigInt(width - bits);
  const base = (ipToBigInt(addr) >> hostBits) << hostBits;
  return { family, base, bits, text: text.trim() };
}

export function ipToBigInt(ip: string): bigint {
  if (isIPv4(ip)) return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  // Expand "::" then read eight 16-bit groups.
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function bigIntToIp(value: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => Number((value >> s) & 255n)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((value >> s) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run (two or more) of zero groups.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

// The index-th (from 1) of `count` equal subnets of each range of a pod CIDR
// ("10.88.0.0/16" split 3 ways: 10.88.0.0/18, 10.88.64.0/18, 10.88.128.0/18),
// so that the nodes of one process never hand out the same pod IP.
export function splitPodCidr(podCidr: string, count: number, index: number): string {
  const extra = Math.ceil(Math.log2(count));
  return podCidr
    .split(',')
    .map((text) => {
      const r = parseCidr(text);
      const width = r.family === 4 ? 32 : 128;
      const bits = r.bits + extra;
      if (bits > width - 2) throw new Error(`"${r.text}" is too small to split into ${count} pod CIDRs`);
      const base = r.base + (BigInt(index - 1) << BigInt(width - bits));
      return `${bigIntToIp(base, r.family)}/${bits}`;
    })
    .join(',');
}
