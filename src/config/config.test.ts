import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';
import { parseQuantity } from './quantity';

describe('config', () => {
  it('an empty config is a full config', () => {
    const c = parseConfig({});
    expect(c.runtime).toMatchObject({ name: 'fakecri', cgroup_driver: 'cgroupfs', sandbox_image: 'registry.k8s.io/pause:3.10.1' });
    expect(c.network.default_pod_cidr).toBe('10.88.0.0/16');
    expect(c.status).toEqual({ runtime_ready: true, network_ready: true });
  });
  it('reads sizes as quantities', () => {
    expect(parseConfig({ images: { sizes: { 'nginx:1': '187Mi', big: 4096 } } }).images.sizes).toEqual({ 'nginx:1': 187 * 2 ** 20, big: 4096 });
  });
  it('names the key of an impossible combination', () => {
    expect(() => parseConfig({ images: { default_min_size: '2Gi', default_max_size: '1Gi' } })).toThrow(/images\.default_min_size/);
  });
  it.each([
    ['187Mi', 187 * 2 ** 20],
    ['20Gi', 20 * 2 ** 30],
    ['1G', 1e9],
    ['1.5Ki', 1536],
    [4096, 4096],
  ])('parses quantity %s', (q, n) => {
    expect(parseQuantity(q)).toBe(n);
  });
  it.each(['', '-1', '1Xi', 'lots', -5, 1.5])('refuses quantity %j', (q) => {
    expect(() => parseQuantity(q)).toThrow();
  });
});
