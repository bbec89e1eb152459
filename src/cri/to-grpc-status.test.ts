import { status } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakecriError } from '../domain/errors';
import { toGrpcStatus } from './to-grpc-status';

// Issue 13: one error map at the edge. No raw errno or JS error reaches a
// client as UNKNOWN; UNKNOWN is left for fakecri's own bugs (and for the
// answers that imitate containerd's or CRI-O's UNKNOWNs, as FakecriErrors).
describe('toGrpcStatus', () => {
  const errno = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err;
    }
    throw new Error('no error');
  };

  it.each([
    ['ENOENT', () => readFileSync('/nonexistent/fakecri'), status.NOT_FOUND, 'open /nonexistent/fakecri: no such file or directory'],
    ['ENOTDIR', () => readFileSync('/etc/hostname/x'), status.FAILED_PRECONDITION, 'open /etc/hostname/x: not a directory'],
    ['EISDIR', () => readFileSync('/etc'), status.FAILED_PRECONDITION, 'read: is a directory'],
  ])('maps %s to its code, naming the call and path', (_code, f, code, details) => {
    expect(toGrpcStatus(errno(f))).toEqual({ code, details, unexpected: false });
  });

  it('keeps a FakecriError as it is', () => {
    expect(toGrpcStatus(new FakecriError('RESOURCE_EXHAUSTED', 'full'))).toEqual({ code: status.RESOURCE_EXHAUSTED, details: 'full', unexpected: false });
  });

  it('answers anything else as a fakecri bug: UNKNOWN, marked', () => {
    expect(toGrpcStatus(new RangeError('Invalid string length'))).toEqual({
      code: status.UNKNOWN,
      details: 'internal error (a fakecri bug): RangeError: Invalid string length',
      unexpected: true,
    });
  });
});
