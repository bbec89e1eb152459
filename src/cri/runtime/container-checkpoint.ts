import { isAbsolute } from 'node:path';
import { FakecriError, invalidArgument } from '../../domain/errors';
import { timeoutSignal } from '../../domain/sleep';
import type { Handler } from '../handler';
import { MAX_PATH, checkInt, checkString, requireId } from '../validate';
import type { CheckpointContainerRequest__Output } from '../../generated/runtime/v1/CheckpointContainerRequest';
import type { CheckpointContainerResponse } from '../../generated/runtime/v1/CheckpointContainerResponse';

// Forensic container checkpointing: the archive CRI-O writes, at `location`.
// The container keeps running, as the kubelet's checkpoint API wants.
// `timeout` (seconds, 0: none) ends the call with DEADLINE_EXCEEDED and no file.
export const checkpointContainer: Handler<CheckpointContainerRequest__Output, CheckpointContainerResponse> = async (app, req, ctx) => {
  const id = requireId(req.container_id, 'container_id');
  const location = checkString(req.location, 'location', MAX_PATH);
  if (location === '') throw invalidArgument('location is empty: fakecri writes a checkpoint only as an archive at a path');
  if (location.includes('\0')) throw invalidArgument('location contains a NUL byte');
  if (!isAbsolute(location)) throw invalidArgument(`location "${location}" is not an absolute path`);
  const timeout = checkInt(req.timeout, 'timeout', 0, 365 * 24 * 3600);
  const timer = timeout > 0 ? timeoutSignal(timeout * 1000, () => deadline(id, timeout)) : undefined;
  const signal = timer ? AbortSignal.any([ctx.signal, timer.signal]) : ctx.signal;
  try {
    await app.checkpoints.checkpoint(id, location, signal);
    return {};
  } finally {
    timer?.cancel();
  }
};

// Go's words for a context past its deadline, as a runtime that honours the
// timeout through its context would answer.
const deadline = (id: string, seconds: number) =>
  new FakecriError('DEADLINE_EXCEEDED', `failed to checkpoint container ${id}: context deadline exceeded (timeout ${seconds}s)`);
