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

// Operating-system errors (errno codes from node:fs, node:net) as core
// errors: the code a client can act on, and a message saying what failed.
const ERRNO_CODES: Record<string, ErrorCode> = {
  ENOENT: 'NOT_FOUND',
  ENOTDIR: 'FAILED_PRECONDITION',
  EISDIR: 'FAILED_PRECONDITION',
  ELOOP: 'FAILED_PRECONDITION',
  EEXIST: 'ALREADY_EXISTS',
  ENOTEMPTY: 'FAILED_PRECONDITION',
  EBUSY: 'UNAVAILABLE',
  EAGAIN: 'UNAVAILABLE',
  ENXIO: 'FAILED_PRECONDITION',
  EACCES: 'PERMISSION_DENIED',
  EPERM: 'PERMISSION_DENIED',
  EROFS: 'FAILED_PRECONDITION',
  ENOSPC: 'RESOURCE_EXHAUSTED',
  EDQUOT: 'RESOURCE_EXHAUSTED',
  EFBIG: 'RESOURCE_EXHAUSTED',
  EMFILE: 'RESOURCE_EXHAUSTED',
  ENFILE: 'RESOURCE_EXHAUSTED',
  ENOMEM: 'RESOURCE_EXHAUSTED',
  ENAMETOOLONG: 'INVALID_ARGUMENT',
  EINVAL: 'INVALID_ARGUMENT',
  EXDEV: 'FAILED_PRECONDITION',
  EIO: 'UNAVAILABLE',
  ETIMEDOUT: 'DEADLINE_EXCEEDED',
  ECONNREFUSED: 'UNAVAILABLE',
  ECONNRESET: 'UNAVAILABLE',
  EPIPE: 'UNAVAILABLE',
};

// strerror's words, as Go and the shell print them.
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EEXIST: 'file exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENAMETOOLONG: 'file name too long',
  ENXIO: 'no such device or address',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
};

export interface SystemError extends Error {
  code: string;
  syscall?: string;
  path?: string;
}

export function isSystemError(err: unknown): err is SystemError {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === 'string' && /^E[A-Z0-9]+$/.test(code);
}

export function errnoWords(err: SystemError): string {
  return ERRNO_WORDS[err.code] ?? err.code.toLowerCase();
}

// "open /x/y: not a directory", as Go's os.PathError reads.
export function describeSystemError(err: SystemError): string {
  const op = err.syscall ?? 'io';
  return err.path ? `${op} ${err.path}: ${errnoWords(err)}` : `${op}: ${errnoWords(err)}`;
}

// A FakecriError for an errno error; `what` says what fakecri was doing.
export function fromSystemError(err: SystemError, what?: string): FakecriError {
  const text = describeSystemError(err);
  return new FakecriError(ERRNO_CODES[err.code] ?? 'INTERNAL', what ? `${what}: ${text}` : text, { cause: err });
}
