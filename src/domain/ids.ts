import { createHash, randomBytes } from 'node:crypto';

// 64 hex characters, like containerd's and CRI-O's ids.
export const newId = (): string => randomBytes(32).toString('hex');

export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

export const sha256Digest = (data: string | Buffer): string => `sha256:${sha256Hex(data)}`;
