import * as grpc from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ControlClient } from '../control/client';
import { routes } from '../control/routes';
import { loadCriProto } from '../cri/proto';
import { type Harness, podConfig, startHarness } from './harness';
import { until } from './wait';

// The call recorder keeps each RPC's outcome as the client saw it, also when
// grpc-js, not a handler, decided it.
describe('recorded outcomes', () => {
  let h: Harness;
  let api: ControlClient;
  beforeEach(async () => {
    h = await startHarness();
    api = new ControlClient({ socket: h.server.controlSocket });
  });
  afterEach(() => h.close());
  const recorded = async (rpc: string) => (await api.call<any[]>('GET', `${routes.calls}?rpc=${rpc}`)).at(-1);
  const rawClient = () => {
    const Ctor = loadCriProto().runtime.v1.RuntimeService as unknown as grpc.ServiceClientConstructor;
    return new Ctor(`unix://${h.socket}`, grpc.credentials.createInsecure(), { 'grpc.max_receive_message_length': -1 }) as any;
  };

  it('an answer over the 16 MiB limit: RESOURCE_EXHAUSTED, recorded with the words the client got', async () => {
    // 45 sandboxes of 400 KiB of annotations each: a 17.6 MiB list.
    for (let i = 0; i < 45; i++) {
      const cfg = podConfig(`p${i}`);
      cfg.annotations.big = 'x'.repeat(400 * 1024);
      await h.rt('RunPodSandbox', { config: cfg });
    }
    const err = await h.rt('ListPodSandbox').catch((e) => e);
    expect(err.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(err.details).toMatch(/^Sent message larger than max \(\d+ vs\. 16777216\); StreamPodSandboxes sends the same list in parts$/);
    expect(await recorded('ListPodSandbox')).toMatchObject({ code: 'RESOURCE_EXHAUSTED', error: err.details });
    // A smaller answer still goes through.
    const some = await h.rt('ListPodSandbox', { filter: { label_selector: { 'io.kubernetes.pod.name': 'p1' } } });
    expect(some.items).toHaveLength(1);
    expect(await recorded('ListPodSandbox')).toMatchObject({ code: 'OK' });
  });

  it("a call held past the caller's deadline: DEADLINE_EXCEEDED, not the handler's CANCELLED", async () => {
    await api.call('POST', routes.faults, { rpcs: ['Status'], action: { type: 'hang' } });
    const client = rawClient();
    try {
      const err = await new Promise<any>((resolve) => client.Status({}, { deadline: Date.now() + 300 }, (e: unknown) => resolve(e)));
      expect(err.code).toBe(status.DEADLINE_EXCEEDED);
    } finally {
      client.close();
    }
    const rec = await until('the Status call to be recorded', () => recorded('Status'), 20_000);
    // rec.ms is the server's time, from when the call reached it: shorter than
    // the client's 300 ms when the machine is slow to hand it over.
    expect(rec).toMatchObject({ code: 'DEADLINE_EXCEEDED', error: 'Deadline exceeded', faults: [expect.any(String)] });
  });

  it('an event stream is recorded when the client cancels it', async () => {
    const client = rawClient();
    const stream = client.GetContainerEvents({});
    stream.on('error', () => {});
    await new Promise((resolve) => stream.once('metadata', resolve));
    stream.cancel();
    client.close();
    const rec = await until('the stream to be recorded', () => recorded('GetContainerEvents'), 20_000);
    expect(rec).toMatchObject({ method: 'GetContainerEvents', code: 'CANCELLED' });
  });
});
