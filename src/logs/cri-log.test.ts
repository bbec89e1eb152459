import { describe, expect, it } from 'vitest';
import { formatLogLine, formatLogTime } from './cri-log';

describe('CRI log lines', () => {
  it('formats timestamps as Go RFC3339Nano in UTC', () => {
    expect(formatLogTime('1795353680123456789')).toBe('2026-11-22T13:21:20.123456789Z');
    expect(formatLogTime('1795353680120000000')).toBe('2026-11-22T13:21:20.12Z');
    expect(formatLogTime('1795353680000000000')).toBe('2026-11-22T13:21:20Z');
  });
  it('writes stream, tag and text', () => {
    expect(formatLogLine('1795353680000000001', 'stderr', 'oops')).toBe('2026-11-22T13:21:20.000000001Z stderr F oops\n');
    expect(formatLogLine('1795353680000000001', 'stdout', 'part', true)).toBe('2026-11-22T13:21:20.000000001Z stdout P part\n');
  });
});
