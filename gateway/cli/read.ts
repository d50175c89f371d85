/**
 * `metrogate read DRIVER`: connect to one device, poll it --count times, print the readings
 * (contracts.md §3). The quickest way for a technician to see that a cable, a port and a protocol
 * are right.
 */
import type { Command } from 'commander';
import { delay } from '../../drivers/abort.js';
import type { Reading } from '../../drivers/contract.js';
import { MetrogateError } from '../../drivers/errors.js';
import { getDriver } from '../../drivers/registry.js';
import { createDriverDeps } from '../../drivers/transport/factory.js';
import { ModbusBusPool } from '../../drivers/transport/modbus-client.js';
import type { CliContext } from './context.js';
import { addDeviceOptions, buildDeviceConfig, type DeviceCliOptions } from './device-options.js';
import { modbusMapOptions, printModbusDryRun } from './modbus-map.js';
import { createOutput, EXIT_FAILED, EXIT_OK, formatTable, reportError } from './output.js';

interface ReadOptions extends DeviceCliOptions {
  count: string;
  interval: string;
  map?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** The JSON line of contracts.md §3. */
export function readingToJson(reading: Reading): Record<string, string> {
  return {
    device: reading.deviceId,
    channel: reading.channel,
    value: reading.value,
    unit: reading.unit,
    quality: reading.quality,
    ts: reading.ts.toISOString(),
  };
}

export function registerRead(program: Command, context: CliContext): void {
  const command = program
    .command('read')
    .argument('<driver>', 'driver id (see `metrogate drivers`)')
    .summary('read a device once or a few times and print its readings')
    .description(
      'Connects to one device through a driver and prints its readings, one line per reading.\n' +
        'With --json each line is {"device","channel","value","unit","quality","ts"} (values are exact decimal strings).',
    );
  addDeviceOptions(command)
    .option('--count <n>', 'number of polls', '1')
    .option('--interval <ms>', 'pause between polls', '1000')
    .option('--map <file>', 'Modbus register map (YAML or JSON, contracts.md §4) for the modbus drivers')
    .option(
      '--dry-run',
      'Modbus: print the planned requests and the predicted serial wire time, read nothing',
    )
    .option('--json', 'one JSON object per reading')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  metrogate read scale-mtsics --port /dev/ttyUSB0 --baud 9600\n' +
        '  metrogate read scale-ad --port /dev/ttyUSB0 --baud 2400 --data-bits 7 --parity even -o mode=stream --count 10 --interval 500 --json\n' +
        '  metrogate read modbus --host 192.168.1.20 --unit-id 3 --map weights.yaml --json\n' +
        '  metrogate read modbus --port /dev/ttyUSB1 --baud 9600 --map weights.yaml --dry-run',
    )
    .action(async (driverId: string, options: ReadOptions) => {
      process.exitCode = await runRead(driverId, options, context);
    });
}

export async function runRead(driverId: string, options: ReadOptions, context: CliContext): Promise<number> {
  const out = createOutput(options.json === true);
  const busPool = new ModbusBusPool();
  let driver: Awaited<ReturnType<typeof createDriver>> | undefined;
  const abort = new AbortController();
  const onSignal = () => abort.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  try {
    const definition = getDriver(driverId);
    const mapExtra = options.map ? modbusMapOptions(definition, options.map) : {};
    const config = buildDeviceConfig(definition, options, mapExtra);
    if (options.dryRun) {
      printModbusDryRun(definition, config, out);
      return EXIT_OK;
    }
    const count = Number(options.count);
    const interval = Number(options.interval);
    if (!Number.isInteger(count) || count < 1) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--count: "${options.count}" is not a positive whole number`,
        {
          path: '--count',
        },
      );
    }
    if (!Number.isFinite(interval) || interval < 0) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--interval: "${options.interval}" is not a duration in ms`,
        {
          path: '--interval',
        },
      );
    }
    driver = createDriver(definition, config, busPool, context, count > 1);
    driver.init();
    await driver.connect(AbortSignal.any([abort.signal, AbortSignal.timeout(30_000)]));
    let failures = 0;
    const rows: string[][] = [];
    for (let i = 0; i < count && !abort.signal.aborted; i++) {
      if (i > 0) await delay(interval, abort.signal).catch(() => undefined);
      if (abort.signal.aborted) break;
      try {
        const result = await driver.poll(AbortSignal.any([abort.signal, AbortSignal.timeout(60_000)]));
        for (const reading of result.readings) {
          if (out.json) out.jsonLine(readingToJson(reading));
          else
            rows.push([
              reading.ts.toISOString(),
              reading.deviceId,
              reading.channel,
              reading.value,
              reading.unit,
              reading.quality,
            ]);
        }
        for (const error of result.errors) {
          failures++;
          out.note(`error ${error.code}: channel ${error.channel}: ${error.message}`);
        }
      } catch (error) {
        failures++;
        reportError(error, out.json);
      }
      if (!out.json && rows.length > 0 && count > 1) {
        // Long runs print as they go; a single poll prints one aligned table.
        for (const row of rows.splice(0)) out.line(row.join('  '));
      }
    }
    if (!out.json && rows.length > 0)
      out.line(formatTable(['time', 'device', 'channel', 'value', 'unit', 'quality'], rows));
    return failures === 0 ? EXIT_OK : EXIT_FAILED;
  } catch (error) {
    return reportError(error, out.json);
  } finally {
    process.off('SIGINT', onSignal);
    await driver?.close().catch(() => undefined);
    await busPool.closeAll().catch(() => undefined);
  }
}

function createDriver(
  definition: ReturnType<typeof getDriver>,
  config: unknown,
  busPool: ModbusBusPool,
  context: CliContext,
  reconnect: boolean,
) {
  const deps = createDriverDeps(definition, config, {
    logger: context.logger,
    busPool,
    reconnect: reconnect ? { initialDelayMs: 200, maxDelayMs: 2000 } : false,
  });
  return definition.create(config, deps);
}
