import { z } from 'zod';
import { duration, rate } from '../config/zod-types';
import type { ErrorCode } from '../domain/errors';

// A fault rule: what calls it matches, and what it does to them. The same
// shape comes from the config file, the control API and `fakecri ctl fault add`.
const GRPC_CODES = [
  'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE',
  'DATA_LOSS', 'UNAUTHENTICATED',
] as const satisfies readonly ErrorCode[];

const bandwidth = rate.refine((n) => n > 0, 'must be above 0');

// Bounds on what a rule may say: strings, lists and counts.
const name = z.string().min(1).max(1024);
const message = z.string().max(4096);
const count = z.number().int().min(0).max(2 ** 31);

export const PULL_ERRORS = ['not-found', 'unauthorized', 'timeout', 'too-many-requests'] as const;

const action = z.discriminatedUnion('type', [
  z.object({ type: z.literal('error'), code: z.enum(GRPC_CODES), message: message.default('injected by fakecri') }).strict(),
  z.object({ type: z.literal('delay'), delay: duration, jitter: duration.default(0) }).strict(),
  z.object({ type: z.literal('hang') }).strict(),
  z.object({ type: z.literal('close') }).strict(),
  z
    .object({
      type: z.literal('not-ready'),
      condition: z.enum(['RuntimeReady', 'NetworkReady']),
      reason: name.default('FakecriFault'),
      message: message.default('set not ready by a fakecri fault rule'),
    })
    .strict(),
  z.object({ type: z.literal('pull-error'), kind: z.enum(PULL_ERRORS) }).strict(),
  z.object({ type: z.literal('throttle'), bandwidth }).strict(),
]);

export const ruleSchema = z
  .object({
    // RPC names (Version, PullImage, …); empty matches every RPC.
    rpcs: z.array(z.string().min(1).max(64)).max(64).default([]),
    // "namespace/name", or "name" in any namespace.
    pod: name.optional(),
    container: name.optional(),
    // An image reference, compared normalised.
    image: z.string().min(1).max(4096).optional(),
    probability: z.number().min(0).max(1).default(1),
    // Seed for the probability, so that a run can be repeated exactly.
    seed: z.number().int().min(-(2 ** 53)).max(2 ** 53).optional(),
    // Counting matching calls: skip the first `after`, then act on every
    // `every`-th, at most `first` times.
    after: count.default(0),
    every: count.min(1).default(1),
    first: count.min(1).optional(),
    // Time window, from the rule's creation.
    start_after: duration.default(0),
    duration: duration.optional(),
    action,
  })
  .strict();

export type RuleInput = z.input<typeof ruleSchema>;
export type RuleSpec = z.output<typeof ruleSchema>;
export type FaultAction = RuleSpec['action'];

export interface Rule extends RuleSpec {
  id: string;
  source: 'config' | 'api';
  createdAt: string; // ISO
  matched: number;
  applied: number;
}
