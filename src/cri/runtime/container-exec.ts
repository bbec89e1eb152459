import { failedPrecondition } from '../../domain/errors';
import { timeoutSignal } from '../../domain/sleep';
import { execTimeoutError } from '../../workloads/exec-timeout';
import type { Handler } from '../handler';
import { checkCommand, checkInt, requireId } from '../validate';
import type { ExecSyncRequest__Output } from '../../generated/runtime/v1/ExecSyncRequest';
import type { ExecSyncResponse } from '../../generated/runtime/v1/ExecSyncResponse';

// Exec probes and lifecycle hooks: a scripted answer set through the control
// API if one applies, else the command runs in the container's userland.
// The timeout is honoured as containerd honours it: DEADLINE_EXCEEDED.
export const execSync: Handler<ExecSyncRequest__Output, ExecSyncResponse> = async (app, req, ctx) => {
  const c = app.containers.store.mustResolve(requireId(req.container_id, 'container_id'));
  checkCommand(req.cmd, 'cmd');
  const timeout = checkInt(req.timeout, 'timeout', 0, 365 * 24 * 3600);
  if (c.state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container "${c.id}" is not running`);
  const since = (Date.now() - Number(BigInt(c.startedAt) / 1_000_000n)) / 1000;
  const script = app.execScripts.match(c.id, req.cmd, since);
  if (script) return { stdout: Buffer.from(script.stdout), stderr: Buffer.from(script.stderr), exit_code: script.exit_code };
  // Not AbortSignal.timeout: it throws past 2^32 ms and fires at once past
  // 2^31 ms; and its timer would outlive the call.
  const timer = timeout > 0 ? timeoutSignal(timeout * 1000, () => execTimeoutError(timeout)) : undefined;
  const signal = timer ? AbortSignal.any([ctx.signal, timer.signal]) : ctx.signal;
  try {
    const r = await app.workloads.programs.exec(c, req.cmd, signal);
    return { stdout: r.stdout, stderr: r.stderr, exit_code: r.exitCode };
  } catch (err) {
    if (timer?.signal.aborted && !ctx.signal.aborted) throw execTimeoutError(timeout);
    throw err;
  } finally {
    timer?.cancel();
  }
};
