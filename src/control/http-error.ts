import { FakecriError, fromSystemError, isSystemError } from '../domain/errors';

// Core error codes as HTTP statuses, for the control API.
const STATUS: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  OUT_OF_RANGE: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 507,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

// As the gRPC edge: errno errors get their code, anything else is a fakecri
// bug (500, logged with its stack by the caller).
export function toHttpError(err: unknown): { status: number; body: { error: string; field?: string; code?: string }; unexpected: boolean } {
  if (err instanceof HttpError) return { status: err.status, body: { error: err.message, field: err.field }, unexpected: false };
  const core = isSystemError(err) ? fromSystemError(err) : err;
  if (core instanceof FakecriError) {
    const field = /field "([^"]+)"/.exec(core.message)?.[1];
    return { status: STATUS[core.code] ?? 500, body: { error: core.message, code: core.code, field }, unexpected: false };
  }
  return { status: 500, body: { error: `internal error (a fakecri bug): ${(err as Error)?.message ?? String(err)}` }, unexpected: true };
}
