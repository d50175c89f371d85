/**
 * A Modbus RTU slave (or several, one per unit id, on one RS-485 line) over a byte link: normally
 * the device end of a socat pty, so that a driver opens the other end as a serial port. Requests
 * are framed by function-code length and CRC (rtu-framing.ts); replies go only to the unit ids
 * served, broadcasts (unit 0) are executed without a reply, as on a real bus.
 *
 * Optional wire-time emulation makes a request→reply cycle last what it would at the line's baud
 * rate: wire(request + reply) + 2 × t3.5 (+ turnaround), measured from the request's first byte.
 */
import type { Logger } from '../../drivers/logger.js';
import { silentLogger } from '../../drivers/logger.js';
import type { ByteLink } from '../../drivers/transport/link.js';
import type { ModbusRegisterSource } from '../../drivers/transport/modbus-client.js';
import { SerialLink } from '../../drivers/transport/serial-link.js';
import { bitsPerCharacter } from '../../drivers/transport/serial-settings.js';
import { FaultInjector } from '../faults.js';
import { LineEmulator, readPeerSettings, type UartSettings } from '../line-emulation.js';
import { createPtyPair, type PtyPair } from '../pty.js';
import { preciseDelay } from '../timing.js';
import { handleRequestPdu, isWriteFunction } from './pdu.js';
import { answersUnit, UnitRouter, type UnitSelector } from './register-bank.js';
import { RtuRequestParser, rtuFrame } from './rtu-framing.js';

export interface ModbusRtuServerOptions {
  source: ModbusRegisterSource;
  /** Unit ids this line answers; default every id 1–247 (or the ids of a UnitRouter). */
  units?: UnitSelector;
  /** The device's line settings (a gateway at other settings receives garbage). */
  line: UartSettings;
  faults?: FaultInjector;
  /** Hold each reply so the cycle lasts its wire time at `line.baudRate`. */
  emulateWireTime?: boolean;
  /** Device processing time added to the cycle (the slave's turnaround). */
  turnaroundMs?: number;
  /** Reproduce line-settings mismatch on a pty (default true). */
  emulateLine?: boolean;
  /** Silence after which an incomplete frame is thrown away. */
  staleAfterMs?: number;
  logger?: Logger;
}

/** Silent interval between frames (Modbus over Serial Line §2.5.1.1). */
export function silentIntervalMs(line: UartSettings): number {
  return line.baudRate > 19200 ? 1.75 : (3.5 * bitsPerCharacter(line) * 1000) / line.baudRate;
}

export function wireMs(bytes: number, line: UartSettings): number {
  return (bytes * bitsPerCharacter(line) * 1000) / line.baudRate;
}

/**
 * How long the gateway's baud rate read from the pty is trusted. Reading it spawns `stty`, which at
 * a 7 ms cycle would cost more than the cycle; a driver changes its baud rate rarely (scan).
 */
const LINE_SETTINGS_MAX_AGE_MS = 500;

export class ModbusRtuServer {
  readonly faults: FaultInjector;
  private readonly options: ModbusRtuServerOptions;
  private readonly units: UnitSelector;
  private readonly logger: Logger;
  private readonly parser = new RtuRequestParser();
  private link: ByteLink | undefined;
  private pty: PtyPair | undefined;
  private emulator: LineEmulator | undefined;
  private unsubscribe: (() => void) | undefined;
  private incoming: Promise<void> = Promise.resolve();
  private outgoing: Promise<void> = Promise.resolve();
  private frameStartedAt = 0;
  private staleTimer: NodeJS.Timeout | undefined;
  private unplugged: Promise<void> | undefined;
  private closed = false;
  /** Requests answered, for tests and the control interface. */
  requestsAnswered = 0;

  constructor(options: ModbusRtuServerOptions) {
    this.options = options;
    this.faults = options.faults ?? new FaultInjector();
    this.units = options.units ?? (options.source instanceof UnitRouter ? options.source.unitIds : 'any');
    this.logger = options.logger ?? silentLogger();
  }

  /** Creates a socat pty pair and serves on its device end. */
  static async onPty(
    options: ModbusRtuServerOptions & { gatewayPath?: string; devicePath?: string },
  ): Promise<ModbusRtuServer> {
    const server = new ModbusRtuServer(options);
    const pty = await createPtyPair({
      ...(options.gatewayPath ? { gatewayPath: options.gatewayPath } : {}),
      ...(options.devicePath ? { devicePath: options.devicePath } : {}),
    });
    server.pty = pty;
    if (options.emulateLine !== false) {
      server.emulator = new LineEmulator(
        options.line,
        () => readPeerSettings(pty.gatewayPath),
        LINE_SETTINGS_MAX_AGE_MS,
      );
    }
    try {
      await server.openDeviceEnd();
    } catch (error) {
      await pty.close();
      throw error;
    }
    return server;
  }

  /** The path a driver opens (pty only). */
  get gatewayPath(): string | undefined {
    return this.pty?.gatewayPath;
  }

  private async openDeviceEnd(): Promise<void> {
    const pty = this.pty!;
    const link = new SerialLink({ path: pty.devicePath, ...this.options.line }, { reconnect: false });
    await link.open();
    this.serveLink(link);
  }

  /** Serves on an open link (one end of a memory pair, or a serial port). */
  serveLink(link: ByteLink): void {
    this.unsubscribe?.();
    this.link = link;
    this.unsubscribe = link.onData((chunk) => {
      const at = performance.now();
      this.incoming = this.incoming
        .then(() => this.receive(chunk, at))
        .catch((error) => this.logger.debug({ err: error }, 'modbus rtu: failed to handle input'));
    });
  }

  private async receive(chunk: Buffer, at: number): Promise<void> {
    if (this.closed) return;
    const pendingDisconnect = this.faults.takeDisconnect();
    if (pendingDisconnect !== undefined) {
      void this.disconnect(pendingDisconnect);
      return;
    }
    let bytes = chunk;
    if (this.emulator) {
      // Only the first conversion waits for the gateway's settings; later ones use the cached
      // settings and refresh in the background, so a 7 ms cycle is not held up by `stty`.
      if (this.emulator.gatewaySettings === undefined) await this.emulator.refresh();
      else void this.emulator.refresh();
      bytes = this.emulator.toDevice(chunk);
    }
    if (this.parser.buffered === 0) this.frameStartedAt = at;
    const events = this.parser.push(bytes);
    for (const event of events) {
      if ('frame' in event) this.handleFrame(event.frame, this.frameStartedAt);
      else
        this.logger.debug(
          { bytes: event.discarded.toString('hex'), reason: event.reason },
          'modbus rtu: discarded',
        );
    }
    if (this.parser.buffered > 0 && events.length > 0) this.frameStartedAt = at;
    this.armStaleTimer();
  }

  private armStaleTimer(): void {
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    if (this.parser.buffered === 0 || this.closed) return;
    const staleAfter = this.options.staleAfterMs ?? Math.max(20, silentIntervalMs(this.options.line) * 4);
    this.staleTimer = setTimeout(() => {
      this.staleTimer = undefined;
      for (const event of this.parser.flush()) {
        if ('frame' in event) this.handleFrame(event.frame, this.frameStartedAt);
      }
    }, staleAfter);
  }

  private handleFrame(frame: Buffer, startedAt: number): void {
    const unitId = frame[0]!;
    const pdu = frame.subarray(1, frame.length - 2);
    if (unitId === 0) {
      // Broadcast: writes are executed by every slave, nobody answers.
      if (isWriteFunction(pdu[0] ?? 0)) handleRequestPdu(this.options.source, 0, pdu);
      return;
    }
    if (unitId > 247 || !answersUnit(this.units, unitId)) return;
    const reply = rtuFrame(unitId, handleRequestPdu(this.options.source, unitId, pdu));
    this.requestsAnswered++;
    const faulted = this.faults.apply(reply, { corruptChecksum: corruptCrc });
    if (!faulted || faulted.length === 0) return;
    this.outgoing = this.outgoing
      .then(() => this.transmit(faulted, frame.length, startedAt))
      .catch((error) => this.logger.debug({ err: error }, 'modbus rtu: write failed'));
  }

  private async transmit(reply: Buffer, requestBytes: number, startedAt: number): Promise<void> {
    const link = this.link;
    if (!link || this.closed) return;
    const { line } = this.options;
    const turnaround = this.options.turnaroundMs ?? 0;
    if (this.options.emulateWireTime) {
      const cycle = wireMs(requestBytes + reply.length, line) + 2 * silentIntervalMs(line) + turnaround;
      await preciseDelay(startedAt + cycle - performance.now());
    } else if (turnaround > 0) {
      await preciseDelay(turnaround);
    }
    let bytes = reply;
    if (this.emulator) {
      if (this.emulator.gatewaySettings === undefined) await this.emulator.refresh();
      bytes = this.emulator.toGateway(reply);
    }
    if (link.state === 'open' && bytes.length > 0) await link.write(bytes);
  }

  /** Unplugs the line for `durationMs` (pty: socat killed and restarted on the same paths). */
  async disconnect(durationMs: number): Promise<void> {
    if (this.unplugged) return this.unplugged;
    this.unplugged = (async () => {
      this.logger.info({ durationMs }, 'modbus rtu: simulated disconnect');
      const link = this.link;
      this.unsubscribe?.();
      this.unsubscribe = undefined;
      this.link = undefined;
      this.parser.flush();
      if (this.pty) {
        await link?.close();
        await this.pty.unplug();
        await new Promise((resolve) => setTimeout(resolve, durationMs));
        if (this.closed) return;
        await this.pty.plug();
        await this.openDeviceEnd();
      } else if (link) {
        await new Promise((resolve) => setTimeout(resolve, durationMs));
        if (!this.closed) this.serveLink(link);
      }
    })().finally(() => {
      this.unplugged = undefined;
    });
    return this.unplugged;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.staleTimer) clearTimeout(this.staleTimer);
    this.unsubscribe?.();
    await this.unplugged?.catch(() => undefined);
    await this.outgoing.catch(() => undefined);
    await this.link?.close();
    await this.pty?.close();
  }
}

/** Flips the CRC's bits: the frame arrives whole but fails its check. */
function corruptCrc(frame: Buffer): Buffer {
  const copy = Buffer.from(frame);
  copy[copy.length - 1] = copy[copy.length - 1]! ^ 0xff;
  copy[copy.length - 2] = copy[copy.length - 2]! ^ 0xff;
  return copy;
}
