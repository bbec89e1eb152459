import { createHash } from 'node:crypto';
import { FakecriError } from '../domain/errors';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export const digestOf = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export const isDigest = (s: string): boolean => DIGEST.test(s);

// Every manifest and blob is checked against the digest that named it:
// neither the registry nor anything between us and it is trusted. The words
// are CRI-O's (ociartifact verifyDigest).
export function verifyDigest(bytes: Buffer, expected: string, what: string, context: string): void {
  if (!DIGEST.test(expected)) throw new FakecriError('INVALID_ARGUMENT', `${context}: invalid digest ${JSON.stringify(expected)}`);
  const actual = digestOf(bytes);
  if (actual !== expected) {
    throw new FakecriError(
      'DATA_LOSS',
      `${context}: sha256 mismatch between real ${what} bytes (${actual.slice(7)}) and manifest descriptor (${expected.slice(7)})`,
    );
  }
}
