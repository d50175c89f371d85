/**
 * The demo's automatic verifications, so that records, certificates and coverage changes exist a
 * minute after `metrogate demo` starts. Scales go through the HTTP sessions API exactly as the bench
 * page drives it (the simulator's control API places the loads, as `metrogate verify --auto` does);
 * a dispenser and a taximeter go through the guided procedures against their own bench simulators,
 * with their real drivers, as `metrogate verify --auto` runs them.
 */
import type { FastifyInstance } from 'fastify';
import type { DispenserDriver, Driver, TaximeterDriver } from '../../drivers/contract.js';
import { isDispenserDriver, isTaximeterDriver } from '../../drivers/contract.js';
import { MetrogateError } from '../../drivers/errors.js';
import type { Logger } from '../../drivers/logger.js';
import { getDriver } from '../../drivers/registry.js';
import { createDriverDeps } from '../../drivers/transport/factory.js';
import { ModbusBusPool } from '../../drivers/transport/modbus-client.js';
import { startDispenserControlServer } from '../../simulators/dispenser/control-http.js';
import { startDispenserSimulator } from '../../simulators/dispenser/index.js';
import { startTaximeterControlServer } from '../../simulators/taximeter/control-http.js';
import { startTaximeterSimulator } from '../../simulators/taximeter/index.js';
import { simulatorDispenserOperator, simulatorTaximeterBench } from '../cli/verify-operators.js';
import { DEFAULT_PERIOD_MONTHS, recordBenchResult } from '../store/bench-record.js';
import type { MetrogateStore } from '../store/store.js';
import { dispenserTestPlan } from '../verification/dispenser/index.js';
import { runGuidedDispenser } from '../verification/guided-dispenser.js';
import { runGuidedTaximeter } from '../verification/guided-taximeter.js';
import { RULE_SETS } from '../verification/rules/index.js';
import { taximeterTestPlan } from '../verification/taximeter/index.js';
import type { DemoFleet, DemoScale } from './fleet.js';

export interface DemoVerification {
  instrumentId: string;
  kind: 'scale' | 'dispenser' | 'taximeter';
  verdict: string;
  recordId: string;
}

export interface DemoVerificationContext {
  app: FastifyInstance;
  /** An admin (or technician) token of the demo's API. */
  token: string;
  store: MetrogateStore;
  fleet: DemoFleet;
  logger: Logger;
  signal: AbortSignal;
}

/** Session states in which the technician (here: the demo) acts. */
const WAITING = new Set(['awaiting-load', 'awaiting-extra-load', 'awaiting-rounding-load']);

interface SessionWire {
  id: string;
  state: string;
  error?: { code: string; message: string };
}

async function api<T>(
  context: DemoVerificationContext,
  method: 'GET' | 'POST',
  url: string,
  payload?: unknown,
): Promise<T> {
  const response = await context.app.inject({
    method,
    url,
    headers: { authorization: `Bearer ${context.token}` },
    ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
  });
  if (response.statusCode >= 300) {
    throw new MetrogateError(
      'MG_ERR_INTERNAL',
      `demo: ${method} ${url} answered ${response.statusCode}: ${response.body}`,
      {
        path: url,
      },
    );
  }
  return response.json() as T;
}

/** The device's first polls may still be under way when the demo starts: wait for it to be online. */
async function waitUntilOnline(context: DemoVerificationContext, deviceId: string): Promise<void> {
  for (let attempt = 0; attempt < 300 && !context.signal.aborted; attempt++) {
    const { devices } = await api<{ devices: { id: string; state: string }[] }>(
      context,
      'GET',
      '/api/devices',
    );
    if (devices.find((device) => device.id === deviceId)?.state === 'online') return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new MetrogateError('MG_ERR_TIMEOUT', `demo: ${deviceId} did not come online within a minute`, {
    device: deviceId,
  });
}

/** A whole scale verification through the sessions API, loads placed by the simulator. */
export async function verifyScaleThroughApi(
  context: DemoVerificationContext,
  scale: DemoScale,
  standards: string[],
): Promise<DemoVerification> {
  const { spec } = scale;
  if (!spec.verify) throw new Error(`demo scale ${spec.id} has no verification settings`);
  context.fleet.busy.add(spec.id);
  try {
    await waitUntilOnline(context, spec.id);
    let session = await api<SessionWire>(context, 'POST', '/api/sessions', {
      device: spec.id,
      ruleSet: 'JJG539-2016',
      stage: 'subsequent',
      instrument: { id: spec.instrumentId, ...spec.verify, d: spec.verify.e },
      standards,
      operator: 'metrogate demo',
    });
    while (!context.signal.aborted) {
      if (WAITING.has(session.state)) {
        session = await api<SessionWire>(context, 'POST', `/api/sessions/${session.id}/capture`);
      } else if (session.state === 'reading') {
        await new Promise((resolve) => setTimeout(resolve, 100));
        session = await api<SessionWire>(context, 'GET', `/api/sessions/${session.id}`);
      } else break;
    }
    if (session.state !== 'ready') {
      throw new MetrogateError(
        'MG_ERR_DEVICE_ERROR',
        `demo: the verification of ${spec.id} ended ${session.state}${session.error ? `: ${session.error.message}` : ''}`,
        { device: spec.id },
      );
    }
    const done = await api<{ record: { id: string; result: { verdict: string } } }>(
      context,
      'POST',
      `/api/sessions/${session.id}/complete`,
    );
    return {
      instrumentId: spec.instrumentId,
      kind: 'scale',
      verdict: done.record.result.verdict,
      recordId: done.record.id,
    };
  } finally {
    context.fleet.busy.delete(spec.id);
  }
}

/** A bench simulator on its own pty with its control API. */
interface BenchSimulator {
  port: string;
  line: Record<string, unknown>;
  controlUrl: string;
  close(): Promise<void>;
}

/** A simulator on a pty and its control API as one bench (closed control first, then the line). */
function benchSimulator(
  sim: { endpoint: unknown; line: object; close(): Promise<void> },
  control: { url: string; close(): Promise<void> },
): BenchSimulator {
  return {
    port: (sim.endpoint as { path: string }).path,
    line: { ...sim.line },
    controlUrl: control.url,
    close: async () => {
      await control.close();
      await sim.close();
    },
  };
}

interface BenchVerification<D extends Driver> {
  instrumentId: string;
  kind: 'dispenser' | 'taximeter';
  ruleSet: 'JJG443-2023' | 'JJG517-2016';
  instrument: Record<string, unknown>;
  driverId: string;
  driverSettings: Record<string, unknown>;
  isKind: (driver: Driver) => driver is D;
  startSimulator: () => Promise<BenchSimulator>;
  run: (driver: D, controlUrl: string, signal: AbortSignal) => Promise<Record<string, unknown>[]>;
}

/**
 * The shape of `metrogate verify --auto` for dispensers and taximeters: the bench simulator, the real
 * driver on its pty, the guided run, the record; everything opened is closed whatever happens.
 */
async function verifyOnBench<D extends Driver>(
  context: DemoVerificationContext,
  bench: BenchVerification<D>,
): Promise<DemoVerification> {
  const busPool = new ModbusBusPool();
  const sim = await bench.startSimulator();
  let driver: D | undefined;
  try {
    const definition = getDriver(bench.driverId);
    const config = definition.configSchema.parse({
      id: `bench-${bench.kind}`,
      port: sim.port,
      ...sim.line,
      ...bench.driverSettings,
    });
    const created = definition.create(
      config,
      createDriverDeps(definition, config, { logger: context.logger, busPool }),
    );
    if (!bench.isKind(created)) throw new Error(`${bench.driverId} is not a ${bench.kind} driver`);
    driver = created;
    driver.init();
    const signal = AbortSignal.any([context.signal, AbortSignal.timeout(120_000)]);
    const identity = await driver.connect(signal);
    const tests = await bench.run(driver, sim.controlUrl, signal);
    const record = recordBenchResult(context.store, {
      ruleSet: bench.ruleSet,
      stage: 'subsequent',
      instrument: bench.instrument,
      tests,
      recordInstrument: { id: bench.instrumentId, kind: bench.kind },
      operator: 'metrogate demo',
      standards: [],
      device: { driverId: bench.driverId, identity },
      periodMonths: DEFAULT_PERIOD_MONTHS[bench.kind],
    });
    return {
      instrumentId: bench.instrumentId,
      kind: bench.kind,
      verdict: record.result.verdict,
      recordId: record.id,
    };
  } finally {
    await driver?.close().catch(() => undefined);
    await busPool.closeAll().catch(() => undefined);
    await sim.close().catch(() => undefined);
  }
}

/** A filling-station dispenser (DART, its own bench pty) verified over JJG 443-2023's deliveries. */
export function verifyBenchDispenser(
  context: DemoVerificationContext,
  instrumentId: string,
): Promise<DemoVerification> {
  const instrument = { kind: 'dispenser', fuel: 'gasoline', canMaterial: 'stainless-steel' };
  return verifyOnBench<DispenserDriver>(context, {
    instrumentId,
    kind: 'dispenser',
    ruleSet: 'JJG443-2023',
    instrument,
    driverId: 'dispenser-dart',
    driverSettings: { address: 0x50 },
    isKind: isDispenserDriver,
    startSimulator: async () => {
      const sim = await startDispenserSimulator({
        protocol: 'dart',
        transport: 'pty',
        pumps: [
          {
            address: 0x50,
            // A meter within ±0.30 % at every flow: the pump passes.
            params: {
              timeScale: 500,
              meterError: {
                offsetPercent: '0',
                curve: [
                  { flow: '5', errorPercent: '0.12' },
                  { flow: '50', errorPercent: '-0.08' },
                ],
              },
            },
          },
        ],
        logger: context.logger,
      });
      return benchSimulator(sim, await startDispenserControlServer(sim));
    },
    run: (driver, controlUrl, signal) =>
      runGuidedDispenser({
        driver,
        operator: simulatorDispenserOperator(controlUrl, 0x50),
        steps: dispenserTestPlan(
          RULE_SETS['JJG443-2023'].ruleSet as Parameters<typeof dispenserTestPlan>[0],
          instrument,
          undefined,
        ).steps,
        nozzle: 1,
        flows: { max: '50', q2: '20', min: '5' },
        canVolume: '20',
        signal,
      }),
  });
}

const DEMO_TARIFF = {
  flagFall: '10.00',
  includedDistance: '2000',
  distanceRate: '2.00',
  timeRate: '30.00',
  mode: 'D' as const,
  fareResolution: '0.10',
};

/** A taximeter (JT/T 905, its own bench pty) verified over JJG 517-2016's bench tests. */
export function verifyBenchTaximeter(
  context: DemoVerificationContext,
  instrumentId: string,
): Promise<DemoVerification> {
  const instrument = { kind: 'taximeter', k: '1000', tariff: DEMO_TARIFF };
  return verifyOnBench<TaximeterDriver>(context, {
    instrumentId,
    kind: 'taximeter',
    ruleSet: 'JJG517-2016',
    instrument,
    driverId: 'taximeter-jtt905',
    driverSettings: {},
    isKind: isTaximeterDriver,
    startSimulator: async () => {
      const sim = await startTaximeterSimulator({
        transport: 'pty',
        timeScale: 0,
        // 0.2 % long: within JJG 517's limits, so the meter passes.
        params: { k: '1000', distanceErrorPercent: '0.2', timeErrorPercent: '0', tariff: DEMO_TARIFF },
        logger: context.logger,
      });
      return benchSimulator(sim, await startTaximeterControlServer(sim));
    },
    run: (driver, controlUrl, signal) =>
      runGuidedTaximeter({
        bench: simulatorTaximeterBench(controlUrl, '1000'),
        driver,
        steps: taximeterTestPlan(
          RULE_SETS['JJG517-2016'].ruleSet as Parameters<typeof taximeterTestPlan>[0],
          instrument,
          'bench',
        ).steps,
        signal,
      }),
  });
}
