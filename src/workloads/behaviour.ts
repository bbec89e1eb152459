import { z } from 'zod';
import { duration, quantity, rate } from '../config/zod-types';
import { invalidArgument } from '../domain/errors';

// How a fake container behaves. Declared, most specific last, by the image
// catalog, the pod annotations fakecri.io/behaviour (every container) and
// fakecri.io/behaviour.<container-name>, and the control API at run time.
export const BEHAVIOUR_ANNOTATION = 'fakecri.io/behaviour';

// CPU as Kubernetes writes it: "250m" or 0.5 (cores), kept as nanocores.
export const cpu = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? [String(v), String(v), ''] : /^(\d+(?:\.\d+)?)(m?)$/.exec(v.trim());
  if (!m || Number(m[1]) < 0) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a CPU quantity (like 250m or 0.5)` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * (m[2] === 'm' ? 1e6 : 1e9));
});

const positive = (what: string) => rate.refine((n) => n > 0, `${what} must be above 0`);

export const behaviourSchema = z
  .object({
    // Exit after this long (from start) with exit_code; reason defaults as containerd's.
    exit_after: duration.optional(),
    exit_code: z.number().int().min(0).max(255).optional(),
    reason: z.string().optional(),
    message: z.string().optional(),
    // Shorthand: exit with code 1 (or exit_code) after exit_after (default 1s), every attempt.
    crash_loop: z.boolean().optional(),
    // Be OOM-killed after this long: exit code 137, reason OOMKilled.
    oom_after: duration.optional(),
    // Grow the writable layer at `rate` bytes per second up to `total`.
    rootfs_write: z
      .object({ rate: positive('rootfs_write.rate'), total: positive('rootfs_write.total'), on_enospc: z.enum(['stop', 'crash']).default('stop') })
      .strict()
      .optional(),
    // Write log lines at `rate` lines per second.
    log: z
      .object({
        rate: z.number().positive(),
        line_size: z.number().int().min(1).max(1024 * 1024).default(80),
        stream: z.enum(['stdout', 'stderr']).default('stdout'),
        total: z.number().int().positive().optional(),
        text: z.string().optional(),
      })
      .strict()
      .optional(),
    // Write real bytes into the emptyDir mounted at `volume` (its container path).
    emptydir_write: z
      .object({
        volume: z.string().min(1),
        rate: positive('emptydir_write.rate'),
        total: positive('emptydir_write.total'),
        file: z.string().regex(/^[^/]+$/, 'a file name, without /').default('fakecri.data'),
        on_enospc: z.enum(['stop', 'crash']).default('stop'),
      })
      .strict()
      .optional(),
    // Figures for the stats RPCs.
    cpu: cpu.optional(),
    memory: quantity.optional(),
    // On StopContainer: exit at once, after `delay`, or ignore SIGTERM until the timeout.
    stop: z
      .object({ mode: z.enum(['exit', 'delay', 'ignore']).default('exit'), delay: duration.default(0), exit_code: z.number().int().min(0).max(255).default(0) })
      .strict()
      .optional(),
    // Files ExecSync's cat, test and ls see.
    files: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export type BehaviourInput = z.input<typeof behaviourSchema>;
export type Behaviour = z.output<typeof behaviourSchema>;

export function parseBehaviour(input: unknown, where: string): Behaviour {
  let raw = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (err) {
      throw invalidArgument(`${where}: not JSON: ${(err as Error).message}`);
    }
  }
  const parsed = behaviourSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.');
    throw invalidArgument(`${where}${field ? ` field "${field}"` : ''}: ${issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.join(', ')}` : issue.message}`);
  }
  return parsed.data;
}

// Later layers win, field by field.
export function mergeBehaviours(...layers: (Behaviour | undefined)[]): Behaviour {
  return Object.assign({}, ...layers.filter(Boolean));
}

// The behaviour a container's pod annotations declare.
export function behaviourFromAnnotations(annotations: Record<string, string>, containerName: string): Behaviour | undefined {
  const all = annotations[BEHAVIOUR_ANNOTATION];
  const mine = annotations[`${BEHAVIOUR_ANNOTATION}.${containerName}`];
  if (!all && !mine) return undefined;
  return mergeBehaviours(
    all ? parseBehaviour(all, `annotation "${BEHAVIOUR_ANNOTATION}"`) : undefined,
    mine ? parseBehaviour(mine, `annotation "${BEHAVIOUR_ANNOTATION}.${containerName}"`) : undefined,
  );
}

// Throws INVALID_ARGUMENT, naming the annotation, for any behaviour
// annotation that does not parse.
export function checkBehaviourAnnotations(annotations: Record<string, string>): void {
  for (const [key, value] of Object.entries(annotations)) {
    if (key === BEHAVIOUR_ANNOTATION || key.startsWith(`${BEHAVIOUR_ANNOTATION}.`)) parseBehaviour(value, `annotation "${key}"`);
  }
}
