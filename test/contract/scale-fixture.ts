/**
 * Builds a scale driver connected to the scale simulator over a chosen transport, the way the CLI
 * would (same registry, same config schema, same transport factory).
 */
import { type DriverDeps, isScaleDriver, type ScaleDriver } from '../../drivers/contract.js';
import { silentLogger } from '../../drivers/logger.js';
import { getDriver } from '../../drivers/registry.js';
import { createDriverDeps } from '../../drivers/transport/factory.js';
import { MemoryModbusClient, ModbusBusPool } from '../../drivers/transport/modbus-client.js';
import type { UartSettings } from '../../simulators/line-emulation.js';
import {
  type ScaleProtocolId,
  type ScaleSimTransport,
  type ScaleSimulator,
  startScaleSimulator,
} from '../../simulators/scale/index.js';
import type { ScaleModelParams } from '../../simulators/scale/model.js';

/** A scale whose readings fit every protocol's number field: 30 kg × 0.01 kg. */
export const CONTRACT_SCALE: Partial<ScaleModelParams> = {
  max: '30',
  e: '0.01',
  d: '0.01',
  unit: 'kg',
  settlingMs: 0,
  seed: 7,
};

export interface ScaleFixture {
  driver: ScaleDriver;
  sim: ScaleSimulator;
  busPool: ModbusBusPool;
  close(): Promise<void>;
}

export interface ScaleFixtureOptions {
  driverId: string;
  protocol: ScaleProtocolId;
  transport: ScaleSimTransport;
  params?: Partial<ScaleModelParams>;
  protocolOptions?: Record<string, unknown>;
  driverConfig?: Record<string, unknown>;
  /** Simulated device line settings (pty); the driver uses `driverLine` or the same. */
  line?: UartSettings;
  driverLine?: UartSettings;
  timeoutMs?: number;
}

export async function startScaleFixture(options: ScaleFixtureOptions): Promise<ScaleFixture> {
  const sim = await startScaleSimulator({
    protocol: options.protocol,
    transport: options.transport,
    params: { ...CONTRACT_SCALE, ...options.params },
    ...(options.line ? { line: options.line } : {}),
    ...(options.protocolOptions ? { protocolOptions: options.protocolOptions } : {}),
    ...(options.transport === 'tcp' ? { tcpPort: 0, host: '127.0.0.1' } : {}),
  });
  const definition = getDriver(options.driverId);
  const line = options.driverLine ?? sim.line;
  const endpoint = sim.endpoint;
  const where: Record<string, unknown> =
    endpoint.kind === 'serial'
      ? { port: endpoint.path, ...line }
      : endpoint.kind === 'memory'
        ? { port: endpoint.link.description, ...line }
        : endpoint.kind === 'modbus-tcp'
          ? { host: endpoint.host, tcpPort: endpoint.port }
          : endpoint.kind === 'modbus-rtu'
            ? { port: endpoint.path, ...line }
            : { host: 'memory' };
  const config = definition.configSchema.parse({
    ...where,
    // A pty or a socket shares two cores with the simulator and the rest of the suite; a tight
    // deadline there tests the machine's load, not the driver. Memory links stay tight.
    timeoutMs:
      options.timeoutMs ?? (endpoint.kind === 'memory' || endpoint.kind === 'modbus-memory' ? 300 : 1000),
    ...options.driverConfig,
  });
  const busPool = new ModbusBusPool();
  const logger = silentLogger();
  const now = () => new Date();
  let deps: DriverDeps;
  if (endpoint.kind === 'memory') deps = { link: endpoint.link, logger, now };
  else if (endpoint.kind === 'modbus-memory')
    deps = { modbus: new MemoryModbusClient(endpoint.source), logger, now };
  else
    deps = createDriverDeps(definition, config, {
      logger,
      busPool,
      reconnect: { initialDelayMs: 50, maxDelayMs: 400 },
      now,
    });
  const driver = definition.create(config, deps);
  if (!isScaleDriver(driver)) throw new Error(`${options.driverId} is not a scale driver`);
  return {
    driver,
    sim,
    busPool,
    close: async () => {
      await driver.close();
      await busPool.closeAll();
      await sim.close();
    },
  };
}

export function signal(ms = 5000): AbortSignal {
  return AbortSignal.timeout(ms);
}
