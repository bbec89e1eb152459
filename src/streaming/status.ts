// What the error stream carries when a command ends: a metav1.Status as
// JSON from v4.channel.k8s.io on, its message as text before (and nothing
// on success), as the kubelet's remotecommand server writes it.

export interface Status {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

export const success = (): Status => ({ metadata: {}, status: 'Success' });

// containerd's exit error: "error executing command [sh -c exit 3], exit code 3".
export function nonZeroExit(cmd: readonly string[], code: number): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${cmd.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

// apierrors.NewInternalError.
export function internalError(message: string): Status {
  return {
    metadata: {},
    status: 'Failure',
    message: `Internal error occurred: ${message}`,
    reason: 'InternalError',
    details: { causes: [{ message }] },
    code: 500,
  };
}

// The bytes to write for a status under a protocol; empty for none.
export function encodeStatus(status: Status, jsonStatus: boolean): Buffer {
  if (jsonStatus) return Buffer.from(JSON.stringify(status));
  return status.status === 'Success' ? Buffer.alloc(0) : Buffer.from(status.message ?? '');
}
