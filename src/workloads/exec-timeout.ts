import { FakecriError } from '../domain/errors';

// containerd's words for an ExecSync past its timeout.
export function execTimeoutError(seconds: number): FakecriError {
  return new FakecriError('DEADLINE_EXCEEDED', `failed to exec in container: timeout ${seconds}s exceeded`);
}
