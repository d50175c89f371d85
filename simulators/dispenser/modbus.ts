/**
 * A fuel dispenser that speaks Modbus: the DispenserModel laid out in metrogate's reference
 * dispenser register map (drivers/dispenser-modbus/README.md, "Default map"), served over Modbus
 * TCP, Modbus RTU on a pty, or in memory. Written from that table, independently of the driver's
 * decoding; the golden register dumps in drivers/dispenser-modbus/testcases keep the two in
 * agreement.
 *
 * Holding registers (input registers mirror them), PDU addresses:
 *   0 status (DART DC1 numbers: 0 not programmed, 1 reset, 2 authorized, 4 filling, 5 completed,
 *     6 max reached, 7 switched off, 8 suspended)   1 selected nozzle (0 none)
 *   2 flags: b0 nozzle out, b1 product flowing, b2 alarm active
 *   3/4/5 decimals of volume / amount / unit price
 *   6–7 volume, 8–9 amount, 10–11 unit price: uint32 display counts
 *   12–13 flow, uint32 in 0.01 L/min    14 first alarm code (0 none)
 *   15 command: write 5 reset, 6 authorize, 8 stop (DART CD1 codes); reads back the last one
 *   100 + 4(n − 1): nozzle n's volume totalizer (uint32 counts), +2 its amount totalizer; n = 1–15
 * Anything else answers exception 2, as a device with holes in its map does.
 *
 * Each pump of the simulator is one unit id (its address). Protocol options (`-o key=value`):
 * `wordOrder`: ABCD (default), CDAB, BADC, DCBA — of every 32-bit value.
 */
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import { silentLogger } from '../../drivers/logger.js';
import type { ModbusRegisterSource } from '../../drivers/transport/modbus-client.js';
import { FaultInjector } from '../faults.js';
import type { UartSettings } from '../line-emulation.js';
import { uint32Registers, type WordLayout } from '../modbus/encode.js';
import { FaultingRegisterSource } from '../modbus/memory-source.js';
import { modbusException, UnitRouter } from '../modbus/register-bank.js';
import { ModbusRtuServer } from '../modbus/rtu-server.js';
import { ModbusTcpServer } from '../modbus/tcp-server.js';
import type { DispenserServer, DispenserSimulatorOptions } from './index.js';
import type { DispenserModel, DispenserSnapshot, DispenserState } from './model.js';

/** The Modbus RTU default line (Modbus over Serial Line §2.5.1). */
export const MODBUS_DISPENSER_LINE: UartSettings = {
  baudRate: 19200,
  dataBits: 8,
  parity: 'even',
  stopBits: 1,
};

const WORD_LAYOUTS: readonly WordLayout[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

export interface ModbusDispenserOptions {
  wordOrder: WordLayout;
}

export function parseModbusDispenserOptions(options: Record<string, unknown> = {}): ModbusDispenserOptions {
  const wordOrder = String(options.wordOrder ?? 'ABCD') as WordLayout;
  if (!WORD_LAYOUTS.includes(wordOrder)) {
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', 'wordOrder must be ABCD, CDAB, BADC or DCBA', {
      path: 'protocolOptions.wordOrder',
    });
  }
  return { wordOrder };
}

const STATE_CODES: Record<DispenserState, number> = {
  'not-programmed': 0,
  reset: 1,
  authorized: 2,
  filling: 4,
  completed: 5,
  'max-reached': 6,
  'switched-off': 7,
  suspended: 8,
};

const COMMAND_REGISTER = 15;
const COMMANDS: Record<number, (model: DispenserModel) => unknown> = {
  5: (model) => model.reset(),
  6: (model) => model.authorize(),
  8: (model) => model.stop(),
};

/** Readable blocks [start, end): the live registers and fifteen nozzles' totalizers. */
const BLOCKS: ReadonlyArray<readonly [number, number]> = [
  [0, 16],
  [100, 160],
];
const TOTALS_BASE = 100;
const TOTALS_STRIDE = 4;
const MAX_NOZZLES = 15;

/** A decimal text as an integer count of `places` decimals, cut (not rounded) like a display. */
function countsOf(text: string, places: number): number {
  return new Dec(text).times(new Dec(10).pow(places)).toDecimalPlaces(0, Dec.ROUND_DOWN).toNumber();
}

/** One pump's registers, computed from its model at every read. */
export class DispenserRegisterSource implements ModbusRegisterSource {
  readonly options: ModbusDispenserOptions;
  private readonly model: DispenserModel;
  private lastCommand = 0;

  constructor(model: DispenserModel, options: ModbusDispenserOptions = { wordOrder: 'ABCD' }) {
    this.model = model;
    this.options = options;
  }

  private image(snapshot: DispenserSnapshot): Map<number, number> {
    const { decimals } = this.model.parameters;
    const order = this.options.wordOrder;
    const image = new Map<number, number>();
    const put = (address: number, words: number[]) =>
      words.forEach((word, i) => {
        image.set(address + i, word & 0xffff);
      });
    image.set(0, STATE_CODES[snapshot.state]);
    image.set(1, snapshot.nozzle);
    const flowing = !new Dec(snapshot.flow).isZero();
    image.set(2, (snapshot.nozzleOut ? 1 : 0) | (flowing ? 2 : 0) | (snapshot.alarms.length > 0 ? 4 : 0));
    image.set(3, decimals.volume);
    image.set(4, decimals.amount);
    image.set(5, decimals.unitPrice);
    put(6, uint32Registers(countsOf(snapshot.volume, decimals.volume), order));
    put(8, uint32Registers(countsOf(snapshot.amount, decimals.amount), order));
    put(10, uint32Registers(countsOf(snapshot.unitPrice, decimals.unitPrice), order));
    put(12, uint32Registers(countsOf(snapshot.flow, 2), order));
    image.set(14, snapshot.alarms[0] ?? 0);
    image.set(COMMAND_REGISTER, this.lastCommand);
    for (const total of snapshot.totals) {
      if (total.nozzle < 1 || total.nozzle > MAX_NOZZLES) continue;
      const start = TOTALS_BASE + TOTALS_STRIDE * (total.nozzle - 1);
      put(start, uint32Registers(countsOf(total.volume, decimals.volume), order));
      put(start + 2, uint32Registers(countsOf(total.amount, decimals.amount), order));
    }
    return image;
  }

  /** Holding registers as the device would answer them now (unmapped addresses read 0). */
  dump(address: number, count: number): number[] {
    const image = this.image(this.model.snapshot());
    return Array.from({ length: count }, (_, i) => image.get(address + i) ?? 0);
  }

  private check(address: number, count: number, max: number): void {
    if (!Number.isInteger(count) || count < 1 || count > max) throw modbusException(3);
    const inside = BLOCKS.some(([start, end]) => address >= start && address + count <= end);
    if (!inside) throw modbusException(2);
  }

  readWords(_unitId: number, _table: 'holding' | 'input', address: number, count: number): number[] {
    this.check(address, count, 125);
    return this.dump(address, count);
  }

  readBits(): boolean[] {
    throw modbusException(1);
  }

  writeWords(_unitId: number, address: number, values: number[]): void {
    this.check(address, values.length, 123);
    // Only the command register is writable; prices and presets are not part of this map.
    if (address !== COMMAND_REGISTER || values.length !== 1) throw modbusException(2);
    const value = values[0]! & 0xffff;
    const command = COMMANDS[value];
    if (value !== 0 && !command) throw modbusException(3);
    this.lastCommand = value;
    // A refused command is not an exception: the state register shows the pump did not follow.
    command?.(this.model);
  }

  writeBit(): void {
    throw modbusException(1);
  }
}

export async function startModbusDispenser(
  pumps: ReadonlyMap<number, DispenserModel>,
  options: DispenserSimulatorOptions,
): Promise<DispenserServer> {
  const dispenserOptions = parseModbusDispenserOptions(options.protocolOptions);
  const line = options.line ?? MODBUS_DISPENSER_LINE;
  const logger = options.logger ?? silentLogger();
  const faults = new FaultInjector();
  const router = new UnitRouter();
  for (const [address, model] of pumps) {
    if (!Number.isInteger(address) || address < 1 || address > 247) {
      throw new MetrogateError(
        'MG_ERR_CONFIG_INVALID',
        `a Modbus unit id is 1–247, got pump address ${address}`,
        {
          path: 'pumps.address',
        },
      );
    }
    router.add(address, new DispenserRegisterSource(model, dispenserOptions));
  }
  const units = router.unitIds;
  if (options.transport === 'memory') {
    const source = new FaultingRegisterSource(router, { faults, units, description: 'modbus-memory' });
    return {
      faults,
      line,
      endpoint: { kind: 'modbus-memory', source },
      disconnect: async (ms) => {
        source.unplug(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
      close: async () => undefined,
    };
  }
  if (options.transport === 'tcp') {
    const server = await ModbusTcpServer.start({
      source: router,
      units,
      host: options.host ?? '127.0.0.1',
      port: options.tcpPort ?? 0,
      faults,
      logger,
    });
    return {
      faults,
      line,
      endpoint: { kind: 'modbus-tcp', host: server.host, port: server.port },
      disconnect: (ms) => server.disconnect(ms),
      close: () => server.close(),
    };
  }
  if (options.transport === 'rtu-pty' || options.transport === 'pty') {
    const server = await ModbusRtuServer.onPty({
      source: router,
      units,
      line,
      faults,
      logger,
      ...(options.emulateWireTime !== undefined ? { emulateWireTime: options.emulateWireTime } : {}),
      ...(options.gatewayPath ? { gatewayPath: options.gatewayPath } : {}),
    });
    return {
      faults,
      line,
      endpoint: { kind: 'modbus-rtu', path: server.gatewayPath! },
      disconnect: (ms) => server.disconnect(ms),
      close: () => server.close(),
    };
  }
  throw new MetrogateError(
    'MG_ERR_CONFIG_INVALID',
    `transport ${String(options.transport)} is not one of memory, tcp, rtu-pty for the modbus protocol`,
    { path: 'transport' },
  );
}
