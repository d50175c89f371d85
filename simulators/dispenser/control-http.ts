/**
 * Control API of the dispenser simulator (JSON over HTTP on localhost): what the customer or the
 * bench technician does at each pump — lift and hang a nozzle, press the trigger, fill the standard
 * can — and what they read off the can; plus the error model and faults. Documented in
 * simulators/README.md.
 *
 *   GET    /state                          every pump's state, display and totals
 *   POST   /pumps/:address/fill     {nozzle?, flow?, volume?} | {nozzle?, profile: [{flow, volume}…]}
 *   POST   /pumps/:address/deliver  {nozzle?, flow?, volume?}   reset, authorize and fill (no controller)
 *   POST   /pumps/:address/lift     {nozzle}                    lift a nozzle
 *   POST   /pumps/:address/hang                                 hang the nozzle up
 *   POST   /pumps/:address/flow     {flow}                      trigger: flow in L/min
 *   GET    /pumps/:address/can                                  can reading and both temperatures
 *   POST   /pumps/:address/params   {meterError?, timeScale?, priceRounding?, can?, maxAmount?}
 *   POST   /pumps/:address/alarms   {codes: [..]}
 *   POST   /fault {kind, count?, durationMs?}  ·  DELETE /fault
 */
import { z } from 'zod';
import {
  type ControlServer,
  faultRoutes,
  HttpError,
  notFound,
  type RouteRequest,
  startJsonControlServer,
  validate,
} from '../json-control.js';
import type { DispenserSimulator } from './index.js';
import type { DispenserModel } from './model.js';

const decimalText = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number'));

const fillSchema = z.object({
  nozzle: z.number().int().min(1).max(15).default(1),
  flow: decimalText.optional(),
  volume: decimalText.default('20'),
  /** Stretches of a delivery at changing flow (slow start, full flow, slow finish). */
  profile: z
    .array(z.object({ flow: decimalText, volume: decimalText }))
    .min(1)
    .optional(),
});

const paramsSchema = z
  .object({
    meterError: z.object({
      offsetPercent: decimalText.default('0'),
      curve: z.array(z.object({ flow: decimalText, errorPercent: decimalText })).default([]),
    }),
    timeScale: z.number().positive().max(100_000),
    priceRounding: z.enum(['half-up', 'half-even', 'down', 'up']),
    maxAmount: decimalText,
    can: z
      .object({
        material: z.enum(['stainless-steel', 'carbon-steel']),
        resolution: decimalText,
        fuelTemperature: decimalText,
        canTemperature: decimalText,
      })
      .partial(),
  })
  .partial()
  .strict();

function pumpOf(sim: DispenserSimulator, request: RouteRequest): DispenserModel {
  const text = request.params.address ?? '';
  const address = /^0x[0-9a-f]+$/i.test(text) ? Number.parseInt(text, 16) : Number(text);
  const pump = sim.pumps.get(address);
  if (!pump)
    throw notFound(
      `no pump at address ${text}; pumps: ${[...sim.pumps.keys()].map((a) => `0x${a.toString(16)}`).join(', ')}`,
    );
  return pump;
}

function refusedIf(result: string, what: string): void {
  if (result !== 'ok') throw new HttpError(409, { code: 'MG_ERR_DEVICE_BUSY', message: `${what} refused` });
}

export function dispenserState(sim: DispenserSimulator): Record<string, unknown> {
  const endpoint =
    sim.endpoint.kind === 'memory' || sim.endpoint.kind === 'modbus-memory'
      ? { kind: sim.endpoint.kind }
      : sim.endpoint;
  return {
    protocol: sim.protocol,
    endpoint,
    line: sim.line,
    pumps: [...sim.pumps.entries()].map(([address, pump]) => ({ address, ...pump.snapshot() })),
    fault: sim.faults.current ?? null,
  };
}

export function startDispenserControlServer(
  sim: DispenserSimulator,
  port = 0,
  host = '127.0.0.1',
): Promise<ControlServer> {
  const fill = (stand: boolean) => async (request: RouteRequest) => {
    const pump = pumpOf(sim, request);
    const body = validate(fillSchema, await request.body());
    const options = {
      nozzle: body.nozzle,
      flow: body.flow ?? pump.parameters.maxFlow,
      trueVolume: body.volume,
    };
    try {
      const snapshot = stand ? await pump.deliver(options) : await pump.fill(options);
      return { ...snapshot, can: pump.canReading() };
    } catch (error) {
      throw new HttpError(409, { code: 'MG_ERR_DEVICE_BUSY', message: (error as Error).message });
    }
  };
  return startJsonControlServer(
    [
      { method: 'GET', path: '/state', handle: () => dispenserState(sim) },
      { method: 'POST', path: '/pumps/:address/fill', handle: fill(false) },
      { method: 'POST', path: '/pumps/:address/deliver', handle: fill(true) },
      {
        method: 'POST',
        path: '/pumps/:address/lift',
        handle: async (request) => {
          const pump = pumpOf(sim, request);
          const { nozzle } = validate(
            z.object({ nozzle: z.number().int().min(1).max(15) }),
            await request.body(),
          );
          refusedIf(pump.liftNozzle(nozzle), `lifting nozzle ${nozzle}`);
          return pump.snapshot();
        },
      },
      {
        method: 'POST',
        path: '/pumps/:address/hang',
        handle: (request) => {
          const pump = pumpOf(sim, request);
          refusedIf(pump.hangNozzle(), 'hanging up');
          return pump.snapshot();
        },
      },
      {
        method: 'POST',
        path: '/pumps/:address/flow',
        handle: async (request) => {
          const pump = pumpOf(sim, request);
          const { flow } = validate(z.object({ flow: decimalText }), await request.body());
          refusedIf(pump.setFlow(flow), `flow ${flow} L/min`);
          return pump.snapshot();
        },
      },
      { method: 'GET', path: '/pumps/:address/can', handle: (request) => pumpOf(sim, request).canReading() },
      {
        method: 'POST',
        path: '/pumps/:address/params',
        handle: async (request) => {
          const pump = pumpOf(sim, request);
          const body = validate(paramsSchema, await request.body());
          const { can, ...rest } = body;
          pump.configure({
            ...Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)),
            ...(can
              ? {
                  can: {
                    ...pump.parameters.can,
                    ...Object.fromEntries(Object.entries(can).filter(([, v]) => v !== undefined)),
                  },
                }
              : {}),
          });
          return pump.snapshot();
        },
      },
      {
        method: 'POST',
        path: '/pumps/:address/alarms',
        handle: async (request) => {
          const pump = pumpOf(sim, request);
          const { codes } = validate(
            z.object({ codes: z.array(z.number().int().min(0).max(255)) }),
            await request.body(),
          );
          pump.setAlarms(codes);
          return pump.snapshot();
        },
      },
      ...faultRoutes(sim, () => dispenserState(sim)),
    ],
    port,
    host,
  );
}
