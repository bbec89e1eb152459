import { describe, expect, it } from 'vitest';
import { parseConfig } from './config';

describe('[registries] and [seccomp] config', () => {
  it('defaults: no real pulls, nothing insecure, no annotations honoured, CRI-O 1.30–1.36 media type', () => {
    const c = parseConfig({});
    expect(c.registries).toEqual({ pull_from: [], insecure: [], auth_file: '', timeout_seconds: 30 });
    expect(c.seccomp).toEqual({
      allowed_annotations: [],
      default_profile: '',
      privileged_profile: '',
      config_media_type: 'application/vnd.cncf.seccomp-profile.config.v1+json',
    });
  });
  it('names the key of a bad value', () => {
    expect(() => parseConfig({ seccomp: { allowed_annotations: ['io.kubernetes.cri-o.Devices'] } })).toThrow(
      /key "seccomp\.allowed_annotations\.0": invalid allowed_annotation: io\.kubernetes\.cri-o\.Devices/,
    );
    expect(() => parseConfig({ registries: { insecure: ['http://127.0.0.1:5000'] } })).toThrow(/key "registries\.insecure\.0"/);
    expect(() => parseConfig({ registries: { pul_from: [] } })).toThrow(/unknown key "registries\.pul_from"/);
    expect(() => parseConfig({ registries: { timeout_seconds: 0 } })).toThrow(/registries\.timeout_seconds/);
  });
});
