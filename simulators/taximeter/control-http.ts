/**
 * The control API of a running taximeter simulator: JSON over HTTP on localhost, so that a test, a
 * trainer or `metrogate verify --auto` can hire the meter, drive it, feed bench pulses, read its
 * display as a technician would, and pull the cable. Documented in simulators/taximeter/README.md.
 *
 *   GET    /state                      model, truth, display, last trip, fault, endpoint, busy
 *   GET    /display                    what the meter shows (state, distance m, waitingTime s, fare…)
 *   GET    /trips                      the trip records the meter keeps, oldest first
 *   POST   /trip/start                 hire (flag down); 409 when already hired
 *   POST   /trip/stop                  end the trip; the record; 409 when not hired
 *   POST   /drive      {speed?, duration?, distance?} | {segments: [...]}, background?
 *   POST   /wait       {duration, background?}
 *   POST   /pulses     {count, ratePerSecond, background?}     bench pulses; {emitted} when done
 *   POST   /abort                      stop the running and queued drives, waits and pulses
 *   POST   /params     {k?, vehicleK?, distanceErrorPercent?, tariff?: {...}, timeScale?, ...}
 *   POST   /fault      {kind, count?, durationMs?}            silence, garble, bad-checksum, partial, disconnect
 *   DELETE /fault
 */
import { z } from 'zod';
import { isMetrogateError } from '../../drivers/errors.js';
import {
  type ControlServer,
  faultRoutes,
  HttpError,
  Reply,
  startJsonControlServer,
  validate,
} from '../json-control.js';

export type { ControlServer } from '../json-control.js';

import type { TaximeterSimulator } from './index.js';
import { modelParamsInputSchema } from './model.js';

const amount = z
  .union([z.string(), z.number()])
  .transform((value) => String(value).trim())
  .pipe(z.string().regex(/^\d+(\.\d+)?$/, 'expected a non-negative decimal number'));

const segmentSchema = z
  .object({ speed: amount.optional(), duration: amount.optional(), distance: amount.optional() })
  .strict();
const driveSchema = z.union([
  z.object({ segments: z.array(segmentSchema).min(1), background: z.boolean().default(false) }).strict(),
  segmentSchema.extend({ background: z.boolean().default(false) }).strict(),
]);
const waitSchema = z.object({ duration: amount, background: z.boolean().default(false) }).strict();
const pulsesSchema = z
  .object({
    count: z.number().int().min(0).max(100_000_000),
    ratePerSecond: amount.refine((text) => /[1-9]/.test(text), 'must be above 0'),
    background: z.boolean().default(false),
  })
  .strict();
const paramsSchema = modelParamsInputSchema.extend({
  timeScale: z.number().min(0).max(1_000_000).optional(),
});

export function taximeterState(sim: TaximeterSimulator): Record<string, unknown> {
  return {
    protocol: sim.protocol,
    endpoint: sim.endpoint.kind === 'memory' ? { kind: 'memory' } : sim.endpoint,
    line: sim.line,
    timeScale: sim.timeScale,
    busy: sim.busy,
    undelivered: sim.undelivered,
    ...sim.model.snapshot(),
    fault: sim.faults.current ?? null,
    faultCounters: sim.faults.counters,
  };
}

/** Runs an action in the foreground (the reply waits for it) or the background (202 at once). */
async function perform(
  sim: TaximeterSimulator,
  background: boolean,
  action: (signal: AbortSignal) => Promise<unknown>,
  clientGone: AbortSignal,
): Promise<unknown> {
  if (background) {
    action(new AbortController().signal).catch(() => undefined);
    return new Reply(202, taximeterState(sim));
  }
  // A client that gives up on a foreground action stops it.
  try {
    const result = await action(clientGone);
    return { ...(result && typeof result === 'object' ? result : {}), display: sim.display() };
  } catch (error) {
    if (isMetrogateError(error, 'MG_ERR_ABORTED')) {
      throw new HttpError(409, {
        code: 'MG_ERR_ABORTED',
        message: 'the action was aborted',
        display: sim.display(),
      });
    }
    if (error instanceof RangeError)
      throw new HttpError(400, { code: 'MG_ERR_INPUT_INVALID', message: error.message });
    throw error;
  }
}

/** Starts the control API on 127.0.0.1 (port 0 = any free port). */
export function startTaximeterControlServer(
  sim: TaximeterSimulator,
  port = 0,
  host = '127.0.0.1',
): Promise<ControlServer> {
  const state = () => taximeterState(sim);
  return startJsonControlServer(
    [
      { method: 'GET', path: '/state', handle: state },
      { method: 'GET', path: '/display', handle: () => sim.display() },
      { method: 'GET', path: '/trips', handle: () => ({ trips: sim.model.records }) },
      {
        method: 'POST',
        path: '/trip/start',
        handle: async () => {
          if (!(await sim.startTrip()))
            throw new HttpError(409, { code: 'MG_ERR_DEVICE_BUSY', message: 'the meter is already hired' });
          return { display: sim.display() };
        },
      },
      {
        method: 'POST',
        path: '/trip/stop',
        handle: async () => {
          const record = await sim.stopTrip();
          if (!record)
            throw new HttpError(409, { code: 'MG_ERR_DEVICE_BUSY', message: 'the meter is not hired' });
          return { record, display: sim.display() };
        },
      },
      {
        method: 'POST',
        path: '/drive',
        handle: async (request) => {
          const body = validate(driveSchema, await request.body());
          const segments = 'segments' in body ? body.segments : [body];
          const legs = segments.map(({ speed, duration, distance }) => ({
            ...(speed !== undefined ? { speed } : {}),
            ...(duration !== undefined ? { duration } : {}),
            ...(distance !== undefined ? { distance } : {}),
          }));
          return perform(sim, body.background, (signal) => sim.drive(legs, signal), request.signal);
        },
      },
      {
        method: 'POST',
        path: '/wait',
        handle: async (request) => {
          const body = validate(waitSchema, await request.body());
          return perform(sim, body.background, (signal) => sim.wait(body.duration, signal), request.signal);
        },
      },
      {
        method: 'POST',
        path: '/pulses',
        handle: async (request) => {
          const body = validate(pulsesSchema, await request.body());
          return perform(
            sim,
            body.background,
            async (signal) => ({ emitted: await sim.feedPulses(body.count, body.ratePerSecond, signal) }),
            request.signal,
          );
        },
      },
      {
        method: 'POST',
        path: '/abort',
        handle: () => {
          sim.abortActions();
          return state();
        },
      },
      {
        method: 'POST',
        path: '/params',
        handle: async (request) => {
          const { timeScale, ...params } = validate(paramsSchema, await request.body());
          sim.model.configure(params);
          if (timeScale !== undefined) sim.timeScale = timeScale;
          return state();
        },
      },
      ...faultRoutes(sim, state),
    ],
    port,
    host,
  );
}
