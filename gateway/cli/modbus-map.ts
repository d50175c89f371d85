/**
 * `--map FILE` and `--dry-run` of `metrogate read` for the register-map drivers (contracts.md §4).
 */
import { readFileSync } from 'node:fs';
import type { DriverDefinition } from '../../drivers/definition.js';
import { MetrogateError } from '../../drivers/errors.js';
import { formatDryRun, loadRegisterMap, type RegisterMap } from '../../drivers/modbus/protocol.js';
import type { Output } from './output.js';

// biome-ignore lint/suspicious/noExplicitAny: definitions carry their own config type
type AnyDefinition = DriverDefinition<any>;

function isRegisterMapConfig(config: unknown): config is RegisterMap & {
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  stopBits: 1 | 2;
} {
  return (
    typeof config === 'object' &&
    config !== null &&
    Array.isArray((config as { registers?: unknown }).registers)
  );
}

/** Reads and validates the map file; its fields become part of the device config. */
export function modbusMapOptions(definition: AnyDefinition, file: string): Record<string, unknown> {
  if (definition.transport !== 'modbus') {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `--map applies to the Modbus drivers, not ${definition.id}`,
      { path: '--map' },
    );
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new MetrogateError('MG_ERR_INPUT_INVALID', `--map ${file}: ${(error as Error).message}`, {
      path: file,
    });
  }
  return { ...loadRegisterMap(text, file) };
}

/** Prints the planned requests and their predicted time on the configured serial line. */
export function printModbusDryRun(definition: AnyDefinition, config: unknown, out: Output): void {
  if (definition.transport !== 'modbus' || !isRegisterMapConfig(config)) {
    throw new MetrogateError(
      'MG_ERR_INPUT_INVALID',
      `--dry-run needs a Modbus driver with a register map (--map FILE)`,
      {
        path: '--dry-run',
      },
    );
  }
  const { baudRate, dataBits, parity, stopBits } = config;
  const report = formatDryRun(
    config,
    { baudRate, dataBits, parity, stopBits },
    { sourceName: definition.id },
  );
  if (out.json) {
    const { text: _text, ...rest } = report;
    out.jsonLine(rest);
  } else out.line(report.text);
}
