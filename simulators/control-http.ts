/**
 * The control interface of a running simulator: a small JSON-over-HTTP API on localhost, so that a
 * test, the demo or a trainer can put a load on the platform, move it to a corner, or pull the
 * cable, while a driver reads the device. Documented in simulators/README.md.
 *
 *   GET    /state                      the model, the indication, active fault, endpoint
 *   POST   /load       {load, position?}          place a load (position: center, q1..q4)
 *   POST   /params     {spanError?, noise?, ...}   change error-model parameters at run time
 *   POST   /zero | /tare | /clear-tare             press the device's keys
 *   POST   /fault      {kind, count?, durationMs?} inject a fault (kinds: silence, garble, bad-checksum, partial, disconnect)
 *   DELETE /fault                                  clear the fault
 */
import { z } from 'zod';
import { type ControlServer, faultRoutes, startJsonControlServer, validate } from './json-control.js';
import type { ScaleSimulator } from './scale/index.js';

export type { ControlServer } from './json-control.js';

const decimalText = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number'));

const loadSchema = z.object({ load: decimalText, position: z.string().min(1).default('center') });

const paramsSchema = z
  .object({
    zeroOffset: decimalText,
    spanError: decimalText,
    nonLinearity: decimalText,
    noise: decimalText,
    driftPerHour: decimalText,
    eccentricity: z.record(z.string(), decimalText),
    settlingMs: z.number().int().min(0).max(600_000),
  })
  .partial()
  .strict();

export function simulatorState(sim: ScaleSimulator): Record<string, unknown> {
  const endpoint =
    sim.endpoint.kind === 'memory'
      ? { kind: 'memory' }
      : sim.endpoint.kind === 'modbus-memory'
        ? { kind: 'modbus-memory' }
        : sim.endpoint;
  return {
    protocol: sim.protocol,
    endpoint,
    line: sim.line,
    ...sim.model.snapshot(),
    fault: sim.faults.current ?? null,
    faultCounters: sim.faults.counters,
  };
}

/** Starts the control API on 127.0.0.1 (port 0 = any free port). */
export function startControlServer(
  sim: ScaleSimulator,
  port = 0,
  host = '127.0.0.1',
): Promise<ControlServer> {
  const state = () => simulatorState(sim);
  return startJsonControlServer(
    [
      { method: 'GET', path: '/state', handle: state },
      {
        method: 'POST',
        path: '/load',
        handle: async (request) => {
          const body = validate(loadSchema, await request.body());
          sim.model.setLoad(body.load, body.position);
          return state();
        },
      },
      {
        method: 'POST',
        path: '/params',
        handle: async (request) => {
          const body = validate(paramsSchema, await request.body());
          sim.model.configure(Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
          return state();
        },
      },
      { method: 'POST', path: '/zero', handle: () => ({ result: sim.model.zero(), ...state() }) },
      { method: 'POST', path: '/tare', handle: () => ({ result: sim.model.tare(), ...state() }) },
      {
        method: 'POST',
        path: '/clear-tare',
        handle: () => {
          sim.model.clearTare();
          return state();
        },
      },
      ...faultRoutes(sim, state),
    ],
    port,
    host,
  );
}
