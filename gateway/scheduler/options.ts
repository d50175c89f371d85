/**
 * The scheduler's options, their defaults and the back-off arithmetic. Defaults follow the peers
 * (reference/peers.md §1.4, §1.6): Kepware demotes after 3 successive timeouts, ThingsBoard waits
 * at least 30 s before it retries a dead device, Telegraf's collection jitter is 0 by default.
 */
import { z } from 'zod';
import { MetrogateError } from '../../drivers/errors.js';

const nonNegativeMs = z.number().finite().min(0);
const positiveMs = z.number().finite().positive();

export const backoffSchema = z
  .object({
    /** Wait before the first retry of a demoted device or of a failed connect. */
    initialMs: positiveMs.default(1000),
    /** Upper bound of the growing wait. */
    maxMs: positiveMs.default(30_000),
    /** Growth of the wait after each failed retry (2 = doubling, 1 = constant). */
    factor: z.number().finite().min(1).default(2),
  })
  .strict()
  .refine((backoff) => backoff.maxMs >= backoff.initialMs, {
    path: ['maxMs'],
    message: 'backoff.maxMs must be at least backoff.initialMs',
  });

export const interFrameDelaySchema = z.union([
  nonNegativeMs,
  z
    .object({
      /** For buses not named in `buses`. */
      default: nonNegativeMs.default(0),
      /** Per bus key (ScheduledDevice.bus). */
      buses: z.record(z.string(), nonNegativeMs).default({}),
    })
    .strict(),
]);

export const schedulerOptionsSchema = z
  .object({
    /** Consecutive failed polls after which a device is demoted. */
    failuresBeforeDemotion: z.number().int().min(1).default(3),
    backoff: backoffSchema.prefault({}),
    /** Each tick fires up to this much later than its slot (uniformly), so that fleets de-synchronise. */
    jitterMs: nonNegativeMs.default(0),
    /** Silence on a bus between the end of one device's poll and the start of the next one's. */
    interFrameDelayMs: interFrameDelaySchema.default(0),
    /** Deadline of one `driver.connect()`. */
    connectTimeoutMs: positiveMs.default(5000),
    /**
     * A driver that ignores its AbortSignal would hold its bus forever. This long after the poll's
     * deadline the scheduler counts the poll as timed out and gives the bus to the next device; the
     * device itself is not polled again until its driver has returned.
     */
    abandonAfterMs: nonNegativeMs.default(1000),
  })
  .strict();

export type SchedulerOptionsInput = z.input<typeof schedulerOptionsSchema>;
export type SchedulerOptions = z.output<typeof schedulerOptionsSchema>;
export type BackoffOptions = z.output<typeof backoffSchema>;

/** Validates options; throws MG_ERR_CONFIG_INVALID naming the first field at fault. */
export function parseSchedulerOptions(input: SchedulerOptionsInput = {}): SchedulerOptions {
  const result = schedulerOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  throw new MetrogateError(
    'MG_ERR_CONFIG_INVALID',
    `scheduler option ${path || '(root)'}: ${issue?.message ?? 'invalid'}`,
    { path: `scheduler.${path}` },
  );
}

/** The inter-frame delay of one bus. */
export function interFrameDelayOf(options: SchedulerOptions, bus: string): number {
  const setting = options.interFrameDelayMs;
  if (typeof setting === 'number') return setting;
  return setting.buses[bus] ?? setting.default;
}

/** The wait after `failedRetries` failed retries: initial × factor^n, capped at max. */
export function backoffDelay(backoff: BackoffOptions, failedRetries: number): number {
  return Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, failedRetries));
}
