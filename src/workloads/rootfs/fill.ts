// The pseudo-random stream behind Fill{fill:'random'}: xorshift32 per 4-byte
// word, keyed by seed and word index, so any range can be produced on its own
// and the same (seed, offset) always gives the same bytes.
export function randomFill(out: Uint8Array, seed: number, offset: number): void {
  for (let i = 0; i < out.length; ) {
    const pos = offset + i;
    const word = Math.floor(pos / 4);
    let x = (Math.imul(word ^ seed, 0x9e3779b1) ^ (seed >>> 7) ^ 0x5bd1e995) >>> 0 || 1;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    for (let b = pos % 4; b < 4 && i < out.length; b++, i++) out[i] = (x >>> (b * 8)) & 0xff;
  }
}
