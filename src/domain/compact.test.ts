import { describe, expect, it } from 'vitest';
import { compact } from './compact';

describe('compact', () => {
  it('drops proto3 defaults, keeps values and list positions', () => {
    expect(
      compact({ a: '', b: 0, c: false, d: null, e: [], f: {}, g: { h: '' }, i: 'POD', j: '0', k: [{ key: 'X', value: '' }, 'y'], l: true, m: 3 }),
    ).toEqual({ i: 'POD', j: '0', k: [{ key: 'X' }, 'y'], l: true, m: 3 });
    expect(compact({ a: { b: { c: null } } })).toBeUndefined();
    expect(compact([{}])).toEqual([{}]);
  });
});
