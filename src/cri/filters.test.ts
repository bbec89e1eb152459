import { describe, expect, it } from 'vitest';
import { unfiltered } from './filters';

describe('unfiltered', () => {
  it('is true for no filter and for one whose fields are all unset, as proto-loader gives them', () => {
    expect(unfiltered(null)).toBe(true);
    expect(unfiltered(undefined)).toBe(true);
    expect(unfiltered({ id: '', state: null, pod_sandbox_id: '', label_selector: {} })).toBe(true);
  });

  it('is false once any field selects: an id, a sandbox, a state (even the first one), a label', () => {
    expect(unfiltered({ id: 'abc', state: null, label_selector: {} })).toBe(false);
    expect(unfiltered({ id: '', pod_sandbox_id: 'p', label_selector: {} })).toBe(false);
    expect(unfiltered({ id: '', state: { state: 'CONTAINER_CREATED' }, label_selector: {} })).toBe(false);
    expect(unfiltered({ id: '', label_selector: { app: 'web' } })).toBe(false);
  });
});
