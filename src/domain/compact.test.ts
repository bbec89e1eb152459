import { describe, expect, it } from 'vitest';
import { compact, share } from './compact';

describe('compact', () => {
  it('drops proto3 defaults, keeps values and list positions', () => {
    expect(
      compact({ a: '', b: 0, c: false, d: null, e: [], f: {}, g: { h: '' }, i: 'POD', j: '0', k: [{ key: 'X', value: '' }, 'y'], l: true, m: 3 }),
    ).toEqual({ i: 'POD', j: '0', k: [{ key: 'X' }, 'y'], l: true, m: 3 });
    expect(compact({ a: { b: { c: null } } })).toBeUndefined();
    expect(compact([{}])).toEqual([{}]);
  });
});

describe('share', () => {
  it('keeps one frozen copy of equal parts, and apart what differs', () => {
    const a = share({ linux: { resources: { cpu_shares: '2' }, security_context: { run_as_user: { value: '0' } } }, command: ['sleep'] });
    const b = share({ linux: { resources: { cpu_shares: '2' }, security_context: { run_as_user: { value: '1000' } } }, command: ['sleep'] });
    expect(b.linux.resources).toBe(a.linux.resources);
    expect(b.command).toBe(a.command);
    expect(b.linux.security_context).not.toBe(a.linux.security_context);
    expect(b.linux.security_context).toEqual({ run_as_user: { value: '1000' } });
    expect(Object.isFrozen(a.linux.resources)).toBe(true);
    // A number and its text, an array and an object, are not alike.
    expect(share({ n: 2 })).not.toBe(share({ n: '2' }));
    expect(share({ 0: 'x' })).not.toEqual(share(['x']));
    const buf = Buffer.from('x');
    expect(share({ b: buf }).b).toBe(buf);
  });
});
