import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ObjectStore } from './object-store';
import { RecordDir } from './persist';

interface Thing {
  id: string;
  createdAt: string;
  n: number;
}

describe('ObjectStore', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
  const make = () => {
    const d = mkdtempSync(join(tmpdir(), 'fakecri-store-'));
    dirs.push(d);
    return { dir: d, store: new ObjectStore<Thing>(new RecordDir(d, 'thing'), 'thing') };
  };

  it('an update whose callback throws changes neither memory nor disk', () => {
    const { dir, store } = make();
    store.add({ id: 'a', createdAt: '1', n: 1 });
    expect(() =>
      store.update('a', (t) => {
        t.n = 2;
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(store.get('a')!.n).toBe(1);
    expect(JSON.parse(readFileSync(join(dir, 'a.json'), 'utf8')).data.n).toBe(1);
  });

  it('resolves unique prefixes and refuses ambiguous ones', () => {
    const { store } = make();
    store.add({ id: 'abc1', createdAt: '1', n: 1 });
    store.add({ id: 'abc2', createdAt: '2', n: 2 });
    expect(store.resolve('abc1')!.n).toBe(1);
    expect(() => store.resolve('abc')).toThrow(/ambiguous/);
    expect(store.resolve('x')).toBeUndefined();
  });

  it('loads in creation order', () => {
    const { dir, store } = make();
    store.add({ id: 'z', createdAt: '100', n: 1 });
    store.add({ id: 'a', createdAt: '99', n: 2 });
    store.add({ id: 'm', createdAt: '1000', n: 3 });
    const again = new ObjectStore<Thing>(new RecordDir(dir, 'thing'), 'thing');
    expect(again.load().map((t) => t.id)).toEqual(['a', 'z', 'm']);
  });
});
