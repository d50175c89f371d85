/**
 * The demo's simulated fleet, as a market, a filling station and a taxi company would have it:
 * scales on every serial protocol (socat pseudo-terminals) and on Modbus TCP, two DART pumps sharing
 * one serial bus, a Modbus TCP pump, and a JT/T 905 taximeter. It returns the `devices:` entries of
 * a gateway config that reach them, so the demo runs the real gateway — scheduler, drivers, outbox,
 * sinks — and not a shortcut. Without socat only the Modbus TCP devices run (and the demo says so).
 * Each device carries a register id from seeds/sample, so its readings and records join the coverage
 * of its district.
 */
import type { Logger } from '../../drivers/logger.js';
import { type DispenserSimulator, startDispenserSimulator } from '../../simulators/dispenser/index.js';
import type { UartSettings } from '../../simulators/line-emulation.js';
import { socatAvailable } from '../../simulators/pty.js';
import { SeededRandom } from '../../simulators/random.js';
import {
  type ScaleProtocolId,
  type ScaleSimulator,
  startScaleSimulator,
} from '../../simulators/scale/index.js';
import type { ScaleModelParams } from '../../simulators/scale/model.js';
import { startTaximeterSimulator, type TaximeterSimulator } from '../../simulators/taximeter/index.js';

interface DemoScaleSpec {
  id: string;
  driver: string;
  protocol: ScaleProtocolId;
  instrumentId: string;
  region: string;
  params: Partial<ScaleModelParams>;
  protocolOptions?: Record<string, unknown>;
  driverOptions?: Record<string, unknown>;
  /** The demo verifies this scale through the sessions API (the bench page's path). */
  verify?: { accuracyClass: string; max: string; e: string; unit: string };
}

/**
 * A market's scales. counter-1 is sound; counter-2 reads 0.12 % high (a span error its class does
 * not allow at its larger loads), so the demo's verifications show both verdicts.
 */
const DEMO_SCALES: DemoScaleSpec[] = [
  {
    id: 'counter-1',
    driver: 'scale-mtsics',
    protocol: 'mt-sics',
    instrumentId: '510703-S000001',
    region: '涪城区',
    params: { max: '15000', e: '5', d: '5', unit: 'g', settlingMs: 100, seed: 11 },
    verify: { accuracyClass: 'III', max: '15000', e: '5', unit: 'g' },
  },
  {
    id: 'counter-2',
    driver: 'scale-ad',
    protocol: 'ad',
    instrumentId: '510704-S000001',
    region: '游仙区',
    params: { max: '6000', e: '2', d: '2', unit: 'g', settlingMs: 100, spanError: '0.0012', seed: 12 },
    verify: { accuracyClass: 'III', max: '6000', e: '2', unit: 'g' },
  },
  {
    id: 'lab-balance',
    driver: 'scale-sbi',
    protocol: 'sbi',
    instrumentId: '510705-S000001',
    region: '安州区',
    params: { max: '220', e: '0.01', d: '0.01', unit: 'g', settlingMs: 900, seed: 13 },
  },
  {
    id: 'platform-1',
    driver: 'scale-xk3190',
    protocol: 'xk3190',
    instrumentId: '510781-S000001',
    region: '江油市',
    params: { max: '300', e: '0.1', d: '0.1', unit: 'kg', settlingMs: 1200, seed: 14 },
    driverOptions: { unit: 'kg', max: '300', e: '0.1' },
  },
  {
    id: 'bench-modbus',
    driver: 'scale-modbus',
    protocol: 'modbus',
    instrumentId: '510722-S000001',
    region: '三台县',
    params: { max: '60', e: '0.02', d: '0.02', unit: 'kg', settlingMs: 800, seed: 15 },
    protocolOptions: { preset: 'dgt4x' },
    driverOptions: { preset: 'dgt4x', unit: 'kg', decimals: 2 },
  },
];

/** Simulated seconds per real second for the pumps: a 20 L delivery takes about 3 s. */
const PUMP_TIME_SCALE = 10;

export interface DemoScale {
  spec: DemoScaleSpec;
  simulator: ScaleSimulator;
}

export interface DemoFleet {
  /** `devices:` entries of the gateway config. */
  devices: Record<string, unknown>[];
  scales: DemoScale[];
  /** 'pty' with socat; 'tcp-only' without it (serial devices left out). */
  serial: 'pty' | 'tcp-only';
  /** Scales under a verification: the fleet's life leaves their loads alone. */
  busy: Set<string>;
  /** One step of life: a customer at a counter, a car at a pump, a taxi ride. */
  tick(): void;
  close(): Promise<void>;
}

function lineOf(line: UartSettings): Record<string, unknown> {
  return { baudRate: line.baudRate, dataBits: line.dataBits, parity: line.parity, stopBits: line.stopBits };
}

export async function startDemoFleet(options: {
  logger: Logger;
  pollIntervalMs: number;
  seed?: number;
}): Promise<DemoFleet> {
  const { logger, pollIntervalMs } = options;
  const usePty = await socatAvailable();
  const random = new SeededRandom(options.seed ?? 2026);
  const devices: Record<string, unknown>[] = [];
  const scales: DemoScale[] = [];
  const pumps: DispenserSimulator[] = [];
  let taximeter: TaximeterSimulator | undefined;
  const closers: Array<() => Promise<void>> = [];
  const envelope = (id: string, instrumentId: string, region: string) => ({
    id,
    instrumentId,
    region,
    pollIntervalMs,
  });
  try {
    for (const spec of DEMO_SCALES) {
      const tcp = spec.protocol === 'modbus';
      if (!tcp && !usePty) continue;
      const simulator = await startScaleSimulator({
        protocol: spec.protocol,
        transport: tcp ? 'tcp' : 'pty',
        params: spec.params,
        ...(spec.protocolOptions ? { protocolOptions: spec.protocolOptions } : {}),
        ...(tcp ? { tcpPort: 0, host: '127.0.0.1' } : {}),
        logger,
      });
      closers.push(() => simulator.close());
      const endpoint = simulator.endpoint;
      const where =
        endpoint.kind === 'serial'
          ? { port: endpoint.path, ...lineOf(simulator.line) }
          : endpoint.kind === 'modbus-tcp'
            ? { host: endpoint.host, tcpPort: endpoint.port }
            : {};
      devices.push({
        ...envelope(spec.id, spec.instrumentId, spec.region),
        driver: spec.driver,
        ...where,
        ...spec.driverOptions,
      });
      scales.push({ spec, simulator });
    }
    if (usePty) {
      const dart = await startDispenserSimulator({
        protocol: 'dart',
        transport: 'pty',
        pumps: [0x50, 0x51].map((address) => ({ address, params: { timeScale: PUMP_TIME_SCALE } })),
        logger,
      });
      closers.push(() => dart.close());
      pumps.push(dart);
      const path = (dart.endpoint as { path: string }).path;
      for (const [index, address] of [0x50, 0x51].entries()) {
        devices.push({
          ...envelope(`pump-${index + 1}`, `510703-D00000${index + 1}`, '涪城区'),
          driver: 'dispenser-dart',
          port: path,
          ...lineOf(dart.line),
          address,
          totals: true,
          nozzles: [1],
        });
      }
    }
    const modbusPump = await startDispenserSimulator({
      protocol: 'modbus',
      transport: 'tcp',
      tcpPort: 0,
      host: '127.0.0.1',
      pumps: [{ address: 1, params: { timeScale: PUMP_TIME_SCALE } }],
      logger,
    });
    closers.push(() => modbusPump.close());
    pumps.push(modbusPump);
    const pumpEndpoint = modbusPump.endpoint as { host: string; port: number };
    devices.push({
      ...envelope('pump-3', '510704-D000001', '游仙区'),
      driver: 'dispenser-modbus',
      host: pumpEndpoint.host,
      tcpPort: pumpEndpoint.port,
      unitId: 1,
    });
    if (usePty) {
      const taxi = await startTaximeterSimulator({ transport: 'pty', timeScale: 20, logger });
      closers.push(() => taxi.close());
      taximeter = taxi;
      devices.push({
        ...envelope('taxi-4300', '510703-T000001', '涪城区'),
        driver: 'taximeter-jtt905',
        port: (taxi.endpoint as { path: string }).path,
        ...lineOf(taxi.line),
        status: true,
      });
    }
  } catch (error) {
    await Promise.allSettled(closers.reverse().map((close) => close()));
    throw error;
  }

  const busy = new Set<string>();
  let ticks = 0;
  const tick = () => {
    ticks++;
    const scale = scales[ticks % Math.max(1, scales.length)];
    if (scale && !busy.has(scale.spec.id)) {
      const max = Number(scale.simulator.model.parameters.max);
      const roll = random.next();
      // Mostly goods within capacity, sometimes an empty platform, rarely an overload.
      const fraction = roll < 0.15 ? 0 : roll > 0.97 ? 1.05 : random.next() * 0.8;
      scale.simulator.model.setLoad((max * fraction).toFixed(3));
    }
    if (ticks % 4 === 0) {
      for (const sim of pumps) {
        for (const model of sim.pumps.values()) {
          const { state } = model.snapshot();
          if (!['reset', 'completed', 'max-reached'].includes(state) || random.next() < 0.5) continue;
          const volume = (10 + random.integer(30)).toString();
          // A car fills up; the pump's controller (the driver) sees the delivery and the totals move.
          model.deliver({ nozzle: 1, trueVolume: volume, flow: '40' }).catch(() => undefined);
        }
      }
    }
    if (taximeter && ticks % 10 === 0 && !taximeter.busy) {
      const taxi = taximeter;
      void (async () => {
        await taxi.startTrip();
        await taxi.drive([{ speed: '40', duration: String(60 + random.integer(240)) }]);
        await taxi.wait(String(random.integer(60)));
        await taxi.stopTrip();
      })().catch(() => undefined);
    }
  };

  return {
    devices,
    scales,
    serial: usePty ? 'pty' : 'tcp-only',
    busy,
    tick,
    close: async () => {
      taximeter?.abortActions();
      await Promise.allSettled(closers.reverse().map((close) => close()));
    },
  };
}
