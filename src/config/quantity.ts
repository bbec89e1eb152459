// Byte quantities as Kubernetes writes them: "187Mi", "20Gi", "1G", "4096".
const units: Record<string, number> = {
  '': 1,
  k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40,
};

export function parseQuantity(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${value} is not a whole number of bytes`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKMGT]i?|)\s*$/.exec(value);
  if (!m || !(m[2] in units)) throw new Error(`"${value}" is not a byte quantity (like 512Mi, 20Gi or 4096)`);
  const bytes = Math.round(Number(m[1]) * units[m[2]]);
  if (!Number.isSafeInteger(bytes)) throw new Error(`"${value}" is too large`);
  return bytes;
}

export function formatBytes(n: number): string {
  const steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < steps.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)}${steps[i]}`;
}
