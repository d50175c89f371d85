/**
 * The demo's simulated scale fleet: one scale per protocol, each behind its real driver, over socat
 * ptys when socat is installed (else in-memory links) and Modbus TCP on localhost. Loads change as
 * if customers were weighing goods, so the readings move, settle and sometimes overload.
 */
import { type Driver, type DriverDeps, isScaleDriver, type PollResult } from '../../drivers/contract.js';
import type { Logger } from '../../drivers/logger.js';
import { getDriver } from '../../drivers/registry.js';
import { createDriverDeps } from '../../drivers/transport/factory.js';
import { MemoryModbusClient, ModbusBusPool } from '../../drivers/transport/modbus-client.js';
import { socatAvailable } from '../../simulators/pty.js';
import { SeededRandom } from '../../simulators/random.js';
import {
  type ScaleProtocolId,
  type ScaleSimulator,
  startScaleSimulator,
} from '../../simulators/scale/index.js';
import type { ScaleModelParams } from '../../simulators/scale/model.js';

export interface FleetMember {
  deviceId: string;
  driverId: string;
  protocol: ScaleProtocolId;
  transport: string;
  simulator: ScaleSimulator;
  driver: Driver;
}

interface MemberSpec {
  deviceId: string;
  driverId: string;
  protocol: ScaleProtocolId;
  params: Partial<ScaleModelParams>;
  protocolOptions?: Record<string, unknown>;
  driverOptions?: Record<string, unknown>;
}

/** A market's scales: retail counter scales, a platform scale, a bench scale on Modbus. */
const FLEET: MemberSpec[] = [
  {
    deviceId: 'counter-1',
    driverId: 'scale-mtsics',
    protocol: 'mt-sics',
    params: { max: '15', e: '0.005', d: '0.005', unit: 'kg', settlingMs: 700, seed: 11 },
  },
  {
    deviceId: 'counter-2',
    driverId: 'scale-ad',
    protocol: 'ad',
    params: { max: '6', e: '0.002', d: '0.002', unit: 'kg', settlingMs: 500, seed: 12 },
  },
  {
    deviceId: 'lab-balance',
    driverId: 'scale-sbi',
    protocol: 'sbi',
    params: { max: '220', e: '0.01', d: '0.01', unit: 'g', settlingMs: 900, seed: 13 },
  },
  {
    deviceId: 'platform-1',
    driverId: 'scale-xk3190',
    protocol: 'xk3190',
    params: { max: '300', e: '0.1', d: '0.1', unit: 'kg', settlingMs: 1200, seed: 14 },
    driverOptions: { unit: 'kg', max: '300', e: '0.1' },
  },
  {
    deviceId: 'bench-modbus',
    driverId: 'scale-modbus',
    protocol: 'modbus',
    params: { max: '60', e: '0.02', d: '0.02', unit: 'kg', settlingMs: 800, seed: 15 },
    protocolOptions: { preset: 'dgt4x' },
    driverOptions: { preset: 'dgt4x', unit: 'kg', decimals: 2 },
  },
];

export interface ScaleFleet {
  members: FleetMember[];
  serialTransport: 'pty' | 'memory';
  /** Puts a new random load on one scale (called by the demo on a timer). */
  shuffleLoad(index: number): void;
  pollAll(signal: AbortSignal): Promise<Array<{ member: FleetMember; result?: PollResult; error?: unknown }>>;
  close(): Promise<void>;
}

export async function startScaleFleet(logger: Logger, seed = 2026): Promise<ScaleFleet> {
  const usePty = await socatAvailable();
  const busPool = new ModbusBusPool();
  const random = new SeededRandom(seed);
  const members: FleetMember[] = [];
  const now = () => new Date();
  try {
    for (const spec of FLEET) {
      const transport = spec.protocol === 'modbus' ? 'tcp' : usePty ? 'pty' : 'memory';
      const simulator = await startScaleSimulator({
        protocol: spec.protocol,
        transport,
        params: spec.params,
        ...(spec.protocolOptions ? { protocolOptions: spec.protocolOptions } : {}),
        ...(transport === 'tcp' ? { tcpPort: 0, host: '127.0.0.1' } : {}),
        logger,
      });
      const definition = getDriver(spec.driverId);
      const endpoint = simulator.endpoint;
      const where =
        endpoint.kind === 'serial'
          ? { port: endpoint.path, ...simulator.line }
          : endpoint.kind === 'memory'
            ? { port: endpoint.link.description, ...simulator.line }
            : endpoint.kind === 'modbus-tcp'
              ? { host: endpoint.host, tcpPort: endpoint.port }
              : { host: 'memory' };
      const config = definition.configSchema.parse({ id: spec.deviceId, ...where, ...spec.driverOptions });
      let deps: DriverDeps;
      if (endpoint.kind === 'memory') deps = { link: endpoint.link, logger, now };
      else if (endpoint.kind === 'modbus-memory')
        deps = { modbus: new MemoryModbusClient(endpoint.source), logger, now };
      else deps = createDriverDeps(definition, config, { logger, busPool, now });
      const driver = definition.create(config, deps);
      driver.init();
      await driver.connect(AbortSignal.timeout(5000));
      members.push({
        deviceId: spec.deviceId,
        driverId: spec.driverId,
        protocol: spec.protocol,
        transport,
        simulator,
        driver,
      });
    }
  } catch (error) {
    for (const member of members) {
      await member.driver.close().catch(() => undefined);
      await member.simulator.close().catch(() => undefined);
    }
    await busPool.closeAll();
    throw error;
  }

  const shuffleLoad = (index: number) => {
    const member = members[index];
    if (!member) return;
    const model = member.simulator.model;
    const max = Number(model.parameters.max);
    const roll = random.next();
    // Mostly goods within capacity, sometimes an empty platform, rarely an overload.
    const fraction = roll < 0.15 ? 0 : roll > 0.97 ? 1.05 : random.next() * 0.8;
    const positions = ['center', 'q1', 'q2', 'q3', 'q4'];
    model.setLoad((max * fraction).toFixed(3), positions[random.integer(positions.length)]);
  };
  for (let index = 0; index < members.length; index++) shuffleLoad(index);

  return {
    members,
    serialTransport: usePty ? 'pty' : 'memory',
    shuffleLoad,
    pollAll: (signal) =>
      Promise.all(
        members.map(async (member) => {
          try {
            return { member, result: await member.driver.poll(signal) };
          } catch (error) {
            return { member, error };
          }
        }),
      ),
    close: async () => {
      for (const member of members) {
        await member.driver.close().catch(() => undefined);
        await member.simulator.close().catch(() => undefined);
      }
      await busPool.closeAll();
    },
  };
}

export function isFleetScale(member: FleetMember): boolean {
  return isScaleDriver(member.driver);
}
