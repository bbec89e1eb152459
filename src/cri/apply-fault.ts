import type { App } from '../app';
import { FakecriError } from '../domain/errors';
import { sleep } from '../domain/sleep';
import type { Verdict } from '../faults/engine';
import { describeCall } from './describe-call';

export interface CriServerHooks {
  // Drops every client connection on the CRI socket (the "close" fault).
  dropConnections(): void;
}

// The fault rules' verdict on a call, or undefined when none applies.
export function evaluateFaults(app: App, method: string, request: unknown): Verdict | undefined {
  if (!app.faults.active) return undefined;
  const info = app.faults.needsDetail() ? describeCall(app, method, request) : { method };
  return app.faults.evaluate(info);
}

// Delays, then errors, hangs or drops the connection, as the verdict says.
export async function applyFault(app: App, hooks: CriServerHooks, verdict: Verdict, signal: AbortSignal): Promise<void> {
  if (verdict.delayMs > 0) await sleep(verdict.delayMs, signal);
  const d = verdict.decision;
  if (!d) return;
  if (d.kind === 'error') throw new FakecriError(d.code, d.message);
  if (d.kind === 'hang') return app.faults.waitForRelease(d.rule, signal);
  hooks.dropConnections();
  throw new FakecriError('UNAVAILABLE', `connection closed by fault rule ${d.rule}`);
}
