import { describe, expect, it } from 'vitest';
import { realClock } from './clock';
import { newProcessTable } from './table';
import { Killed } from './types';

const root = { uid: 0, gid: 0, groups: [] };

describe('a process ended by a signal', () => {
  it('wakes a sleep on its death with Killed, and an AbortSignal asked for afterwards is aborted already', async () => {
    const procs = newProcessTable();
    // Not pid 1, which a default TERM leaves alone.
    const init = procs.spawn({ argv: ['sh'], identity: root });
    const p = procs.spawn({ argv: ['sleep', '60'], parent: init, identity: root });
    const sleeping = realClock.sleep(60_000, p.death);
    expect(procs.kill(p.pid, 'TERM', root)).toBe('ok');
    await expect(sleeping).rejects.toBeInstanceOf(Killed);
    expect(p.death.aborted).toBe(true);
    expect(p.killed.aborted).toBe(true);
    expect((p.killed.reason as Killed).signal).toBe('TERM');
  });

  it('aborts an AbortSignal made before the signal, and a wait that went is not woken', async () => {
    const procs = newProcessTable();
    const init = procs.spawn({ argv: ['sh'], identity: root });
    const p = procs.spawn({ argv: ['sh'], parent: init, identity: root });
    const signal = p.killed;
    let woken = 0;
    const gone = () => woken++;
    p.death.addEventListener('abort', gone);
    p.death.removeEventListener('abort', gone);
    const stays = () => woken++;
    p.death.addEventListener('abort', stays);
    expect(signal.aborted).toBe(false);
    procs.kill(p.pid, 'KILL', root);
    expect(signal.aborted).toBe(true);
    expect((signal.reason as Killed).signal).toBe('KILL');
    expect(woken).toBe(1);
  });

  it('a handled signal is no death', () => {
    const procs = newProcessTable();
    const init = procs.spawn({ argv: ['sh'], identity: root });
    const p = procs.spawn({ argv: ['sh'], parent: init, identity: root });
    p.setDisposition('TERM', 'handle');
    procs.kill(p.pid, 'TERM', root);
    expect(p.death.aborted).toBe(false);
    expect(p.takeSignals()).toEqual(['TERM']);
  });
});
