import { describe, expect, it } from 'vitest';
import { bigIntToIp, ipToBigInt, parseCidr, splitPodCidr } from './cidr';
import { Ipam } from './ipam';

describe('cidr', () => {
  it('parses and masks the network address', () => {
    expect(parseCidr('10.88.3.7/16')).toMatchObject({ family: 4, bits: 16, base: ipToBigInt('10.88.0.0') });
    expect(parseCidr('fd00::5/64')).toMatchObject({ family: 6, bits: 64, base: ipToBigInt('fd00::') });
  });
  it.each(['10.0.0.0', '10.0.0.0/31', '300.1.1.1/8', 'x/8', 'fd00::/127'])('refuses %s', (c) => {
    expect(() => parseCidr(c)).toThrow();
  });
  it.each(['10.1.2.3', '0.0.0.0', 'fd00::2', '2001:db8::1:0:0:1', '::1', 'fd00:1:2:3:4:5:6:7'])('round-trips %s', (ip) => {
    const family = ip.includes(':') ? 6 : 4;
    expect(bigIntToIp(ipToBigInt(ip), family)).toBe(ip);
  });
});

describe('splitPodCidr', () => {
  it('gives each node its own equal part, dual-stack too', () => {
    expect([1, 2, 3].map((i) => splitPodCidr('10.88.0.0/16', 3, i))).toEqual(['10.88.0.0/18', '10.88.64.0/18', '10.88.128.0/18']);
    expect(splitPodCidr('10.244.0.0/16,fd00::/48', 20, 20)).toBe('10.244.152.0/21,fd00:0:0:9800::/53');
    expect(splitPodCidr('10.88.0.0/16', 1, 1)).toBe('10.88.0.0/16');
  });
  it('refuses a range too small for the count', () => {
    expect(() => splitPodCidr('10.88.0.0/28', 8, 1)).toThrow(/too small to split into 8/);
  });
});

describe('Ipam', () => {
  it('hands out each address once, skips network, gateway and broadcast, and reuses released ones', () => {
    const ipam = new Ipam('192.168.5.0/29');
    const got = [1, 2, 3, 4, 5].map(() => ipam.allocate()[0]);
    expect(got).toEqual(['192.168.5.2', '192.168.5.3', '192.168.5.4', '192.168.5.5', '192.168.5.6']);
    expect(() => ipam.allocate()).toThrow(/no free pod IP left in 192\.168\.5\.0\/29/);
    ipam.release(['192.168.5.4']);
    expect(ipam.allocate()).toEqual(['192.168.5.4']);
  });
  it('skips addresses marked used after a restart', () => {
    const ipam = new Ipam('10.0.0.0/24');
    ipam.markUsed(['10.0.0.2', '10.0.0.3']);
    expect(ipam.allocate()).toEqual(['10.0.0.4']);
  });
  it('releases the IPv4 address when the IPv6 range is full', () => {
    const ipam = new Ipam('10.0.0.0/24,fd00::/126');
    expect(ipam.allocate()).toEqual(['10.0.0.2', 'fd00::2']);
    expect(ipam.allocate()).toEqual(['10.0.0.3', 'fd00::3']);
    expect(() => ipam.allocate()).toThrow(/fd00::\/126/);
    expect(ipam.allocate.bind(ipam)).toThrow();
    // .2 and .3 are taken; if the failed calls had kept .4 and .5, the
    // second and third allocations here would fail.
    ipam.setPodCidr('10.0.0.0/29');
    const got = [ipam.allocate(), ipam.allocate(), ipam.allocate()].flat().sort();
    expect(got).toEqual(['10.0.0.4', '10.0.0.5', '10.0.0.6']);
  });
});
