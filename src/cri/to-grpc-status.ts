import { status } from '@grpc/grpc-js';
import { FakecriError, fromSystemError, isSystemError } from '../domain/errors';

// The one place where core errors become gRPC statuses. A FakecriError keeps
// its code; an operating-system error (errno) gets the code for its errno and
// a message naming the call and path, as Go's os errors do. Anything else is
// a bug in fakecri: UNKNOWN, marked "internal error", and the caller logs it
// at error with its stack.
export function toGrpcStatus(err: unknown): { code: status; details: string; unexpected: boolean } {
  if (err instanceof FakecriError) return { code: status[err.code], details: err.message, unexpected: false };
  if (isSystemError(err)) {
    const e = fromSystemError(err);
    return { code: status[e.code], details: e.message, unexpected: false };
  }
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return { code: status.UNKNOWN, details: `${INTERNAL_ERROR}: ${message}`, unexpected: true };
}

// How an answer from a fakecri bug starts; the fuzzer counts these.
export const INTERNAL_ERROR = 'internal error (a fakecri bug)';
