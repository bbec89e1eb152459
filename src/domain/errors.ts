// One error type for the whole core. Only the edges (gRPC, HTTP) turn `code`
// into a wire status; see cri/to-grpc-status.ts.
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNKNOWN'
  | 'CANCELLED'
  | 'ABORTED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'OUT_OF_RANGE'
  | 'DATA_LOSS';

export class FakecriError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FakecriError';
  }
}

export const invalidArgument = (message: string) => new FakecriError('INVALID_ARGUMENT', message);
export const notFound = (message: string) => new FakecriError('NOT_FOUND', message);
export const alreadyExists = (message: string) => new FakecriError('ALREADY_EXISTS', message);
export const failedPrecondition = (message: string) => new FakecriError('FAILED_PRECONDITION', message);
export const resourceExhausted = (message: string) => new FakecriError('RESOURCE_EXHAUSTED', message);
export const unimplemented = (message: string) => new FakecriError('UNIMPLEMENTED', message);
export const internal = (message: string, cause?: unknown) => new FakecriError('INTERNAL', message, { cause });
