import { status } from '@grpc/grpc-js';
import { FakecriError } from '../domain/errors';

// The one place where core errors become gRPC statuses. Anything that is not
// a FakecriError is a bug in fakecri: UNKNOWN, and the caller logs its stack.
export function toGrpcStatus(err: unknown): { code: status; details: string; unexpected: boolean } {
  if (err instanceof FakecriError) return { code: status[err.code], details: err.message, unexpected: false };
  const message = err instanceof Error ? err.message : String(err);
  return { code: status.UNKNOWN, details: `internal error: ${message}`, unexpected: true };
}

