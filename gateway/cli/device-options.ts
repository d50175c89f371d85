/**
 * Turns the device options of `read`, `scan` and `verify` into a driver's config, validated by the
 * driver's own zod schema, with errors that name the flag (or the config file field) at fault.
 */
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import type { DriverDefinition } from '../../drivers/definition.js';
import { MetrogateError } from '../../drivers/errors.js';
import { PARITIES } from '../../drivers/transport/serial-settings.js';

export interface DeviceCliOptions {
  config?: string;
  /** `metrogate verify` names the device file --device-config (its --config is the gateway's). */
  deviceConfig?: string;
  id?: string;
  port?: string;
  baud?: string;
  dataBits?: string;
  parity?: string;
  stopBits?: string;
  host?: string;
  tcpPort?: string;
  unitId?: string;
  timeout?: string;
  address?: string;
  totals?: boolean;
  status?: boolean;
  option?: string[];
}

/** Config fields and the CLI flag that sets each, so that errors name what the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  port: '--port',
  baudRate: '--baud',
  dataBits: '--data-bits',
  parity: '--parity',
  stopBits: '--stop-bits',
  host: '--host',
  tcpPort: '--tcp-port',
  unitId: '--unit-id',
  timeoutMs: '--timeout',
  id: '--id',
  address: '--address',
  totals: '--totals',
  status: '--status',
};

export function addDeviceOptions(command: Command, options: { configFlag?: string } = {}): Command {
  return command
    .option(
      `${options.configFlag ?? '--config'} <file>`,
      "device settings as YAML (the format of a driver's sample.config.yaml)",
    )
    .option('--id <id>', 'device id used in readings (default: <driver>@<port or host>)')
    .option('--port <path>', 'serial port, e.g. /dev/ttyUSB0 (serial drivers; Modbus RTU)')
    .option('--baud <n>', "baud rate (default: the driver's factory setting)")
    .option('--data-bits <n>', 'data bits: 7 or 8')
    .addOption(new Option('--parity <parity>', 'parity').choices([...PARITIES]))
    .option('--stop-bits <n>', 'stop bits: 1 or 2')
    .option('--host <host>', 'Modbus TCP host')
    .option('--tcp-port <n>', 'Modbus TCP port (default 502)')
    .option('--unit-id <n>', 'Modbus unit id (default 1)')
    .option('--timeout <ms>', 'answer timeout per transaction in ms (default 1000)')
    .option('--address <addr>', 'device address on a multi-drop bus, e.g. 0x50 (dispenser-dart)')
    .option('--totals', 'also read the non-resettable totalizers (dispensers)')
    .option('--status', 'also read the device status and parameters (taximeter-jtt905)')
    .option(
      '-o, --option <key=value>',
      'driver-specific setting, repeatable (e.g. -o mode=stream); see the driver README',
      (value: string, previous: string[] = []) => [...previous, value],
    );
}

/** "12" -> 12, "true" -> true, "0x50" -> 80, anything else stays text. */
function parseOptionValue(text: string): unknown {
  if (/^-?\d+(\.\d+)?$/.test(text) && !/^0\d/.test(text)) return Number(text);
  if (/^0x[0-9a-f]+$/i.test(text)) return Number.parseInt(text, 16);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

function integer(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text))
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `${flag}: "${text}" is not a whole number`, {
      path: flag,
    });
  return Number(text);
}

function parseAddress(text: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text)
    ? Number.parseInt(text, 16)
    : /^\d+$/.test(text)
      ? Number(text)
      : Number.NaN;
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `--address: "${text}" is not an address (0–255, or hex like 0x50)`,
      { path: '--address' },
    );
  }
  return value;
}

/** Reads and merges the device config: --config file first, then flags, then -o settings. */
export function buildDeviceConfig(
  // biome-ignore lint/suspicious/noExplicitAny: each driver has its own config type
  definition: DriverDefinition<any>,
  options: DeviceCliOptions,
  extra: Record<string, unknown> = {},
): unknown {
  let fromFile: Record<string, unknown> = {};
  if (options.config) {
    let text: string;
    try {
      text = readFileSync(options.config, 'utf8');
    } catch (error) {
      throw new MetrogateError(
        'MG_ERR_INPUT_INVALID',
        `--config ${options.config}: ${(error as Error).message}`,
        {
          path: options.config,
        },
      );
    }
    try {
      const parsed = parseYaml(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('expected a mapping of settings');
      const { driver, ...rest } = parsed as Record<string, unknown>;
      if (driver !== undefined && driver !== definition.id) {
        throw new Error(`it configures driver "${String(driver)}", not "${definition.id}"`);
      }
      fromFile = rest;
    } catch (error) {
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `${options.config}: ${(error as Error).message}`, {
        path: options.config,
      });
    }
  }
  const fromFlags: Record<string, unknown> = {
    id: options.id,
    port: options.port,
    baudRate: integer('--baud', options.baud),
    dataBits: integer('--data-bits', options.dataBits),
    parity: options.parity,
    stopBits: integer('--stop-bits', options.stopBits),
    host: options.host,
    tcpPort: integer('--tcp-port', options.tcpPort),
    unitId: integer('--unit-id', options.unitId),
    timeoutMs: integer('--timeout', options.timeout),
    address: options.address === undefined ? undefined : parseAddress(options.address),
    totals: options.totals ? true : undefined,
    status: options.status ? true : undefined,
  };
  const fromOptions: Record<string, unknown> = {};
  for (const pair of options.option ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `-o ${pair}: expected key=value`, { path: '-o' });
    fromOptions[pair.slice(0, eq)] = parseOptionValue(pair.slice(eq + 1));
  }
  const merged: Record<string, unknown> = { ...fromFile };
  for (const [key, value] of Object.entries({ ...fromFlags, ...fromOptions, ...extra })) {
    if (value !== undefined) merged[key] = value;
  }
  return parseDeviceConfig(definition, merged, options.config);
}

/** Validates with the driver's schema; the error names the flag, or the file and field. */
export function parseDeviceConfig(
  // biome-ignore lint/suspicious/noExplicitAny: each driver has its own config type
  definition: DriverDefinition<any>,
  config: unknown,
  file?: string,
): unknown {
  const result = (definition.configSchema as z.ZodType).safeParse(config);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
      .join('.')
      .replace(/\.\[/g, '[');
    const flag = FLAG_OF_FIELD[path];
    const where = flag
      ? file
        ? `${flag} (or ${file}: ${path})`
        : flag
      : file
        ? `${file}: ${path || '(root)'}`
        : path || '(root)';
    const message = /received undefined/.test(issue.message) ? 'is required' : issue.message;
    return { where, message, path };
  });
  throw new MetrogateError(
    'MG_ERR_INPUT_INVALID',
    `invalid settings for ${definition.id}: ${problems.map((p) => `${p.where}: ${p.message}`).join('; ')}`,
    { path: problems[0]?.path ?? '', problems },
  );
}
