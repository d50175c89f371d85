/**
 * A weighing transmitter that speaks Modbus: the ScaleModel laid out in the register map of a real
 * indicator (device-protocols.md §1.6), served over Modbus TCP, Modbus RTU on a pty, or in memory.
 * The layouts are written here from the reference, independently of the scale-modbus driver's
 * presets; golden register dumps in drivers/scale-modbus/testcases keep the two in agreement.
 *
 * "4xxxx" register numbers of the manuals are PDU address xxxx − 1 (40001 → 0).
 *
 * Protocol options (`-o key=value`):
 * - `preset`: `generic` (default), `dgt4x`, `id551pn` — the register layout;
 * - `unitId`: 1–247 (default 1) — the only unit id answered (others: silence on RTU and in memory,
 *   exception 11 on TCP);
 * - `wordOrder`: `ABCD` (default), `CDAB`, `BADC`, `DCBA` — of 32-bit weights;
 * - `negativeAs`: `twos-complement` (default) or `magnitude` (DGT4X: |value| + status sign bits).
 */
import { Dec } from '../../../drivers/decimal.js';
import { MetrogateError } from '../../../drivers/errors.js';
import type { Logger } from '../../../drivers/logger.js';
import { silentLogger } from '../../../drivers/logger.js';
import type { ModbusRegisterSource } from '../../../drivers/transport/modbus-client.js';
import type { FaultInjector } from '../../faults.js';
import type { UartSettings } from '../../line-emulation.js';
import { float32Registers, int32Registers, type WordLayout } from '../../modbus/encode.js';
import { FaultingRegisterSource } from '../../modbus/memory-source.js';
import { checkRange, modbusException } from '../../modbus/register-bank.js';
import { ModbusRtuServer } from '../../modbus/rtu-server.js';
import { ModbusTcpServer } from '../../modbus/tcp-server.js';
import type { Indication, ScaleModel } from '../model.js';

/** Most weighing transmitters leave the factory at 19200 8E1, the Modbus RTU default. */
export const MODBUS_SCALE_LINE: UartSettings = { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 };

export type ModbusScaleEndpoint =
  | { kind: 'modbus-tcp'; host: string; port: number }
  | { kind: 'modbus-rtu'; path: string }
  | { kind: 'modbus-memory'; source: ModbusRegisterSource };

export interface ModbusScaleServer {
  endpoint: ModbusScaleEndpoint;
  /** The register source the servers read (for dumps and tests). */
  registers: ScaleRegisterSource;
  disconnect(durationMs: number): Promise<void>;
  close(): Promise<void>;
}

/** The register layouts this simulator can present. */
export const SIMULATED_SCALE_LAYOUTS = ['generic', 'dgt4x', 'id551pn'] as const;
export type SimulatedScaleLayout = (typeof SIMULATED_SCALE_LAYOUTS)[number];

export interface ModbusScaleOptions {
  /** Register layout (`preset` in protocol options). */
  layout: SimulatedScaleLayout;
  unitId: number;
  /** Word order of 32-bit values. */
  wordOrder: WordLayout;
  /**
   * DGT4X: whether negative weights are two's complement or a magnitude with the sign bit of the
   * status word (the manual's table does not say; the driver must read both).
   */
  negativeAs: 'twos-complement' | 'magnitude';
}

export function parseModbusScaleOptions(options: Record<string, unknown> = {}): ModbusScaleOptions {
  const layout = String(options.preset ?? options.layout ?? 'generic');
  if (!(SIMULATED_SCALE_LAYOUTS as readonly string[]).includes(layout)) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `unknown Modbus scale preset "${layout}"; known: ${SIMULATED_SCALE_LAYOUTS.join(', ')}`,
      { path: 'protocolOptions.preset' },
    );
  }
  const unitId = Number(options.unitId ?? 1);
  if (!Number.isInteger(unitId) || unitId < 1 || unitId > 247) {
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', `unitId must be 1–247, got ${String(options.unitId)}`, {
      path: 'protocolOptions.unitId',
    });
  }
  const wordOrder = String(options.wordOrder ?? 'ABCD') as WordLayout;
  if (!['ABCD', 'CDAB', 'BADC', 'DCBA'].includes(wordOrder)) {
    throw new MetrogateError('MG_ERR_CONFIG_INVALID', `wordOrder must be ABCD, CDAB, BADC or DCBA`, {
      path: 'protocolOptions.wordOrder',
    });
  }
  const negativeAs = options.negativeAs === 'magnitude' ? 'magnitude' : 'twos-complement';
  return { layout: layout as SimulatedScaleLayout, unitId, wordOrder, negativeAs };
}

/** The indication as an integer count of display digits: "12.35" → 1235, "-0.05" → -5. */
function displayCounts(text: string): number {
  return Number(text.replace('.', ''));
}

function isZero(text: string): boolean {
  return new Dec(text).isZero();
}

/** A layout: the register image of an indication, and what a write to a register does. */
interface Layout {
  /** Readable holding registers [start, end). */
  readonly range: readonly [number, number];
  image(indication: Indication, state: LayoutState): Map<number, number>;
  write(address: number, value: number, previous: number, model: ScaleModel, state: LayoutState): void;
}

interface LayoutState {
  options: ModbusScaleOptions;
  /** Registers written by the master and kept (command registers read back what was written). */
  written: Map<number, number>;
}

function put(image: Map<number, number>, address: number, words: number[]): void {
  words.forEach((word, i) => {
    image.set(address + i, word & 0xffff);
  });
}

function bits(flags: Record<number, boolean>): number {
  let word = 0;
  for (const [bit, on] of Object.entries(flags)) if (on) word |= 1 << Number(bit);
  return word;
}

/**
 * metrogate's own reference layout, for indicators configured to it: net, gross, tare as int32 in
 * display counts, a status word, the number of decimals, and a command register.
 */
const GENERIC_LAYOUT: Layout = {
  range: [0, 16],
  image(ind, state) {
    const image = new Map<number, number>();
    const order = state.options.wordOrder;
    put(image, 0, int32Registers(displayCounts(ind.net), order));
    put(image, 2, int32Registers(displayCounts(ind.gross), order));
    put(image, 4, int32Registers(displayCounts(ind.tare), order));
    image.set(
      6,
      bits({
        0: ind.stable,
        1: ind.overload,
        2: ind.underload,
        3: isZero(ind.gross),
        4: !isZero(ind.tare),
      }),
    );
    image.set(7, ind.decimals);
    image.set(8, state.written.get(8) ?? 0);
    return image;
  },
  write(address, value, _previous, model) {
    if (address !== 8) return;
    if (value === 1) model.zero();
    else if (value === 2) model.tare();
    else if (value === 3) model.clearTare();
  },
};

/**
 * Dini Argeo DGT4X (reference §1.6): status 40202, gross 40203–40204, net 40214–40215, two
 * registers per value, high word first. Status: b0 gross sign (1 = negative), b1 stable, b2
 * underload, b3 overload, b4 gross in the zero zone, b5 net sign, b6 tare active, b7 preset tare.
 * The manual lists no command register.
 */
const DGT4X_LAYOUT: Layout = {
  range: [200, 240],
  image(ind, state) {
    const image = new Map<number, number>();
    const order = state.options.wordOrder;
    const gross = displayCounts(ind.gross);
    const net = displayCounts(ind.net);
    const encode = (counts: number) =>
      int32Registers(state.options.negativeAs === 'magnitude' ? Math.abs(counts) : counts, order);
    image.set(
      201,
      bits({
        0: gross < 0,
        1: ind.stable,
        2: ind.underload,
        3: ind.overload,
        4: gross === 0,
        5: net < 0,
        6: !isZero(ind.tare),
        7: false,
      }),
    );
    put(image, 202, encode(gross));
    put(image, 213, encode(net));
    return image;
  },
  write() {
    // No command registers documented; writes are accepted and ignored, as many indicators do.
  },
};

/**
 * Tuna ID551PN (reference §1.6): 40001/2 displayed weight (float), 40003/4 gross (float), 40005
 * status (b8 centre of zero, b9 under zero, b10 over capacity, b11 net, b12 motion, b13 power-up
 * zero done, b15 weight data OK), 40006 demand bits acting on a 0→1 edge (b11 zero, b12 tare,
 * b13 clear).
 */
const ID551PN_LAYOUT: Layout = {
  range: [0, 16],
  image(ind, state) {
    const image = new Map<number, number>();
    const order = state.options.wordOrder;
    put(image, 0, float32Registers(Number(ind.net), order));
    put(image, 2, float32Registers(Number(ind.gross), order));
    image.set(
      4,
      bits({
        8: isZero(ind.gross),
        9: ind.underload,
        10: ind.overload,
        11: !isZero(ind.tare),
        12: !ind.stable,
        13: true,
        15: true,
      }),
    );
    image.set(5, state.written.get(5) ?? 0);
    return image;
  },
  write(address, value, previous, model) {
    if (address !== 5) return;
    const rising = value & ~previous;
    if (rising & (1 << 11)) model.zero();
    if (rising & (1 << 12)) model.tare();
    if (rising & (1 << 13)) model.clearTare();
  },
};

const LAYOUTS: Record<SimulatedScaleLayout, Layout> = {
  generic: GENERIC_LAYOUT,
  dgt4x: DGT4X_LAYOUT,
  id551pn: ID551PN_LAYOUT,
};

/** The scale's registers, computed from the model at every read. */
export class ScaleRegisterSource implements ModbusRegisterSource {
  readonly options: ModbusScaleOptions;
  private readonly model: ScaleModel;
  private readonly layout: Layout;
  private readonly state: LayoutState;

  constructor(model: ScaleModel, options: ModbusScaleOptions) {
    this.model = model;
    this.options = options;
    this.layout = LAYOUTS[options.layout];
    this.state = { options, written: new Map() };
  }

  /** Holding registers as the device would answer them now. */
  dump(address: number, count: number): number[] {
    const image = this.layout.image(this.model.indication(), this.state);
    return Array.from({ length: count }, (_, i) => image.get(address + i) ?? 0);
  }

  private size(): number {
    return this.layout.range[1];
  }

  private checkWords(address: number, count: number, max: number): void {
    checkRange(this.size(), address, count, max);
    if (address < this.layout.range[0]) throw modbusException(2);
  }

  readWords(_unitId: number, table: 'holding' | 'input', address: number, count: number): number[] {
    // Weighing indicators usually mirror their holding registers as input registers.
    void table;
    this.checkWords(address, count, 125);
    return this.dump(address, count);
  }

  readBits(): boolean[] {
    throw modbusException(1);
  }

  writeWords(_unitId: number, address: number, values: number[]): void {
    this.checkWords(address, values.length, 123);
    values.forEach((value, i) => {
      const register = address + i;
      const previous = this.state.written.get(register) ?? 0;
      this.state.written.set(register, value & 0xffff);
      this.layout.write(register, value & 0xffff, previous, this.model, this.state);
    });
  }

  writeBit(): void {
    throw modbusException(1);
  }
}

export async function startModbusScale(
  model: ScaleModel,
  faults: FaultInjector,
  options: {
    transport: string;
    line: UartSettings;
    logger?: Logger;
    protocolOptions?: Record<string, unknown>;
    tcpPort?: number;
    host?: string;
    emulateWireTime?: boolean;
    responseDelayMs?: number;
    gatewayPath?: string;
    devicePath?: string;
  },
): Promise<ModbusScaleServer> {
  const scaleOptions = parseModbusScaleOptions(options.protocolOptions);
  const registers = new ScaleRegisterSource(model, scaleOptions);
  const logger = options.logger ?? silentLogger();
  const units = [scaleOptions.unitId];
  if (options.transport === 'memory') {
    const source = new FaultingRegisterSource(registers, { faults, units, description: 'modbus-memory' });
    return {
      endpoint: { kind: 'modbus-memory', source },
      registers,
      disconnect: async (ms) => {
        source.unplug(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
      close: async () => undefined,
    };
  }
  if (options.transport === 'tcp') {
    const server = await ModbusTcpServer.start({
      source: registers,
      units,
      host: options.host ?? '127.0.0.1',
      port: options.tcpPort ?? 0,
      faults,
      logger,
      ...(options.responseDelayMs !== undefined ? { responseDelayMs: options.responseDelayMs } : {}),
    });
    return {
      endpoint: { kind: 'modbus-tcp', host: server.host, port: server.port },
      registers,
      disconnect: (ms) => server.disconnect(ms),
      close: () => server.close(),
    };
  }
  if (options.transport === 'rtu-pty' || options.transport === 'pty') {
    const server = await ModbusRtuServer.onPty({
      source: registers,
      units,
      line: options.line,
      faults,
      logger,
      ...(options.emulateWireTime !== undefined ? { emulateWireTime: options.emulateWireTime } : {}),
      ...(options.responseDelayMs !== undefined ? { turnaroundMs: options.responseDelayMs } : {}),
      ...(options.gatewayPath ? { gatewayPath: options.gatewayPath } : {}),
      ...(options.devicePath ? { devicePath: options.devicePath } : {}),
    });
    return {
      endpoint: { kind: 'modbus-rtu', path: server.gatewayPath! },
      registers,
      disconnect: (ms) => server.disconnect(ms),
      close: () => server.close(),
    };
  }
  throw new MetrogateError(
    'MG_ERR_CONFIG_INVALID',
    `transport ${options.transport} is not one of memory, tcp, rtu-pty for the modbus protocol`,
    { path: 'transport' },
  );
}
