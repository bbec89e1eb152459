import type { ContainerSeccomp } from '../store/container';

// What CreateContainer hands the seccomp resolver (src/seccomp), wired in by
// app.ts, so the container service needs no registry or profile code.
export interface SeccompRequest {
  containerName: string;
  privileged: boolean;
  // security_context.seccomp as the kubelet sent it; absent when unset.
  field?: { profile_type?: string; localhost_ref?: string } | null;
  capabilities?: { add_capabilities?: string[]; drop_capabilities?: string[] } | null;
  podAnnotations: Record<string, string>;
  // The image's OCI manifest annotations.
  imageAnnotations: Record<string, string>;
}

export interface SeccompSetup {
  // Fails with "setup seccomp: …", as CRI-O's CreateContainer does.
  setup(request: SeccompRequest): Promise<ContainerSeccomp>;
}
