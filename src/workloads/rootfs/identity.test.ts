import { describe, expect, it } from 'vitest';
import { populateImage, writeFile } from './image-root';
import { resolveIdentity } from './identity';
import { MemTree } from './memory-tree';
import { Rootfs } from './rootfs';

function fsWith(passwd?: string, group?: string) {
  const tree = new MemTree({ dev: 1 });
  populateImage(tree, { applets: [] });
  if (passwd) writeFile(tree, '/etc/passwd', passwd);
  if (group) writeFile(tree, '/etc/group', group);
  return new Rootfs(tree).view({ uid: 0, gid: 0, groups: [], pid: 1 });
}

const sc = (s: object) => ({ linux: { security_context: s } });

describe('resolveIdentity', () => {
  it('is root by default, with its name', () => {
    expect(resolveIdentity(fsWith(), {})).toEqual({ uid: 0, gid: 0, groups: [], user: 'root' });
  });

  it('takes run_as_user, its passwd group unless run_as_group, and supplemental groups', () => {
    const fs = fsWith('root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', 'root:x:0:\napp:x:1000:\nwheel:x:10:app\n');
    expect(resolveIdentity(fs, sc({ run_as_user: { value: '1000' } }))).toEqual({ uid: 1000, gid: 1000, groups: [10], user: 'app' });
    expect(resolveIdentity(fs, sc({ run_as_user: { value: '1000' }, run_as_group: { value: '3000' }, supplemental_groups: ['4000', '10'] }))).toEqual({
      uid: 1000,
      gid: 3000,
      groups: [10, 4000],
      user: 'app',
    });
    expect(resolveIdentity(fs, sc({ run_as_user: { value: '2000' } }))).toEqual({ uid: 2000, gid: 0, groups: [] });
    expect(resolveIdentity(fs, sc({ run_as_username: 'app' }))).toMatchObject({ uid: 1000, gid: 1000 });
  });

  it('Strict supplemental groups policy: only the requested groups, not those of /etc/group', () => {
    const fs = fsWith('root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n', 'root:x:0:\napp:x:1000:\nwheel:x:10:app\n');
    const user = { run_as_user: { value: '1000' }, supplemental_groups: ['4000'] };
    expect(resolveIdentity(fs, sc({ ...user, supplemental_groups_policy: 'Merge' })).groups).toEqual([10, 4000]);
    expect(resolveIdentity(fs, sc({ ...user, supplemental_groups_policy: 'Strict' })).groups).toEqual([4000]);
  });

  it("falls back to the image's User, by name or number, with a group", () => {
    const fs = fsWith();
    expect(resolveIdentity(fs, {}, 'nobody')).toEqual({ uid: 65534, gid: 65534, groups: [], user: 'nobody' });
    expect(resolveIdentity(fs, {}, '1234:nobody')).toEqual({ uid: 1234, gid: 65534, groups: [] });
    expect(resolveIdentity(fs, sc({ run_as_user: { value: 0 } }), 'nobody')).toMatchObject({ uid: 0, user: 'root' });
  });
});
