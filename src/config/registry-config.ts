import { z } from 'zod';
import { SECCOMP_ANNOTATIONS } from '../seccomp/annotations';

// Registry hosts as written in image references: "127.0.0.1:5000", "quay.io".
const host = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:]+\](:\d+)?$/, 'a registry is a host or host:port, with no scheme or path');

// [registries]: the real registries fakecri talks to, for seccomp artifacts
// and for the images listed in pull_from.
export const registriesSection = z
  .object({
    // Registries whose images PullImage fetches for real: the manifest, the
    // config digest as the image id, the layer sizes and the annotations.
    pull_from: z.array(host).default([]),
    // Registries spoken to over plain HTTP; all others are HTTPS, verified.
    insecure: z.array(host).default([]),
    // A docker config.json; "" is $DOCKER_CONFIG/config.json or ~/.docker/config.json.
    auth_file: z.string().default(''),
    // Every request to a registry gives up after this long.
    timeout_seconds: z.number().positive().max(3600).default(30),
  })
  .strict()
  .prefault({});

// [seccomp]: what CRI-O's seccomp settings do.
export const seccompSection = z
  .object({
    // Annotation prefixes honoured: seccomp-profile.crio.io and/or
    // seccomp-profile.kubernetes.cri-o.io. Empty, as in CRI-O: no artifacts.
    allowed_annotations: z
      .array(z.string())
      .default([])
      .superRefine((list, ctx) => {
        for (const [i, a] of list.entries()) {
          if (!(SECCOMP_ANNOTATIONS as readonly string[]).includes(a)) {
            ctx.addIssue({ code: 'custom', path: [i], message: `invalid allowed_annotation: ${a} (known: ${SECCOMP_ANNOTATIONS.join(', ')})` });
          }
        }
      }),
    // The RuntimeDefault profile file (CRI-O's seccomp_profile); "" is fakecri's built-in one.
    default_profile: z.string().default(''),
    // The Localhost profile privileged containers get (CRI-O's
    // privileged_seccomp_profile); "" runs them unconfined.
    privileged_profile: z.string().default(''),
    // The config media type an artifact must have, as CRI-O 1.30–1.36
    // require; "" checks none, as newer CRI-O.
    config_media_type: z.string().default('application/vnd.cncf.seccomp-profile.config.v1+json'),
  })
  .strict()
  .prefault({});
