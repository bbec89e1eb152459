import { failedPrecondition } from '../../domain/errors';
import { hostname } from 'node:os';
import { execCommand, execTimeoutError } from '../../workloads/exec';
import { containerIdentity, podFiles } from '../../workloads/pod-files';
import type { Handler } from '../handler';
import { checkInt, requireId } from '../validate';
import { invalidArgument } from '../../domain/errors';
import type { ExecSyncRequest__Output } from '../../generated/runtime/v1/ExecSyncRequest';
import type { ExecSyncResponse } from '../../generated/runtime/v1/ExecSyncResponse';

const MAX_OUTPUT = 16 * 1024 * 1024;

interface MountView {
  container_path?: string;
  host_path?: string;
}

// Exec probes and lifecycle hooks: a scripted answer set through the control
// API if one applies, else fakecri's small interpreter. The timeout is
// honoured as containerd honours it: DEADLINE_EXCEEDED.
export const execSync: Handler<ExecSyncRequest__Output, ExecSyncResponse> = async (app, req, ctx) => {
  const c = app.containers.store.mustResolve(requireId(req.container_id, 'container_id'));
  if (req.cmd.length === 0) throw invalidArgument('cmd is required');
  const timeout = checkInt(req.timeout, 'timeout', 0, 365 * 24 * 3600);
  if (c.state !== 'CONTAINER_RUNNING') throw failedPrecondition(`container "${c.id}" is not running`);
  const since = (Date.now() - Number(BigInt(c.startedAt) / 1_000_000n)) / 1000;
  const script = app.execScripts.match(c.id, req.cmd, since);
  if (script) return { stdout: Buffer.from(script.stdout), stderr: Buffer.from(script.stderr), exit_code: script.exit_code };
  const signals = timeout > 0 ? [ctx.signal, AbortSignal.timeout(timeout * 1000)] : [ctx.signal];
  const signal = AbortSignal.any(signals);
  const mounts = (c.mounts as MountView[])
    .filter((m) => m.container_path && m.host_path)
    .map((m) => ({ container_path: m.container_path!, host_path: m.host_path! }));
  try {
    const sandbox = app.sandboxes.store.get(c.sandboxId);
    const files = { ...podFiles(sandbox), ...app.workloads.current(c.id)?.behaviour.files };
    const r = await execCommand(req.cmd, { files, mounts, signal, hostname: sandbox?.hostname || hostname(), identity: containerIdentity(c.config) });
    return {
      stdout: Buffer.from(r.stdout).subarray(0, MAX_OUTPUT),
      stderr: Buffer.from(r.stderr).subarray(0, MAX_OUTPUT),
      exit_code: r.exitCode,
    };
  } catch (err) {
    if (signal.aborted && !ctx.signal.aborted) throw execTimeoutError(timeout);
    throw err;
  }
};
