/**
 * A ByteLink over a real serial port (node-serialport). It names the port and its line settings in
 * every error, and reopens the port with back-off when it disappears (a USB adapter pulled out, a
 * pseudo-terminal's far end gone) until `close()` is called.
 */
import { fstat, stat } from 'node:fs';
import { SerialPort } from 'serialport';
import { delay } from '../abort.js';
import { abortError, type ErrorCode, MetrogateError } from '../errors.js';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { type ByteLink, type LinkState, Listeners } from './link.js';
import { formatLineSettings, type SerialSettings } from './serial-settings.js';

export interface ReconnectPolicy {
  /** First wait after a disconnect. */
  initialDelayMs: number;
  /** Upper bound of the doubling wait. */
  maxDelayMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { initialDelayMs: 200, maxDelayMs: 5000 };

export interface SerialLinkOptions {
  /** `false` disables reopening after a disconnect (used by `scan`, which owns its retries). */
  reconnect?: ReconnectPolicy | false;
  /**
   * How often to check that the port's device node still exists and is the same device. The OS
   * does not always report an unplug to node-serialport (a pty whose far end dies right after the
   * open is never reported; serialport issues #386, #1465, #2351), so the link checks for itself.
   */
  watchdogMs?: number;
  logger?: Logger;
}

/** Maps the OS error of an open() to a code a technician can act on. */
export function classifyOpenError(message: string): { code: ErrorCode; hint: string } {
  if (/EACCES|Permission denied/i.test(message)) {
    return { code: 'MG_ERR_PORT_ACCESS', hint: 'permission denied; add the user to the dialout group' };
  }
  if (/lock|EBUSY|Resource busy/i.test(message)) {
    return { code: 'MG_ERR_PORT_BUSY', hint: 'the port is in use by another program' };
  }
  if (/ENOENT|No such file|does not exist/i.test(message)) {
    return {
      code: 'MG_ERR_PORT_NOT_FOUND',
      hint: 'no such port; check the path (ls /dev/tty*) and the cable',
    };
  }
  return { code: 'MG_ERR_PORT_OPEN_FAILED', hint: 'the port could not be opened' };
}

export class SerialLink implements ByteLink {
  readonly description: string;
  private readonly settings: SerialSettings;
  private readonly reconnect: ReconnectPolicy | false;
  private readonly logger: Logger;
  private port: SerialPort | undefined;
  private currentState: LinkState = 'closed';
  private closedByUser = false;
  private readonly dataListeners = new Listeners<[Buffer]>();
  private readonly stateListeners = new Listeners<[LinkState, MetrogateError | undefined]>();
  private reconnectAbort: AbortController | undefined;
  private readonly watchdogMs: number;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(settings: SerialSettings, options: SerialLinkOptions = {}) {
    this.settings = settings;
    this.description = `${settings.path} ${formatLineSettings(settings)}`;
    this.reconnect = options.reconnect ?? DEFAULT_RECONNECT;
    this.logger = options.logger ?? silentLogger();
    this.watchdogMs = options.watchdogMs ?? 1000;
  }

  get state(): LinkState {
    return this.currentState;
  }

  private error(code: ErrorCode, what: string, cause?: unknown): MetrogateError {
    return new MetrogateError(
      code,
      `port ${this.settings.path} (${formatLineSettings(this.settings)}): ${what}`,
      { port: this.settings.path, settings: formatLineSettings(this.settings) },
      { cause },
    );
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (this.currentState === 'open') return;
    if (signal?.aborted) throw abortError(signal.reason);
    this.closedByUser = false;
    this.setState('opening');
    try {
      await this.openOnce();
    } catch (error) {
      this.setState('closed', error as MetrogateError);
      throw error;
    }
    this.setState('open');
  }

  private openOnce(): Promise<void> {
    const { path, baudRate, dataBits, parity, stopBits } = this.settings;
    const port = new SerialPort({ path, baudRate, dataBits, parity, stopBits, autoOpen: false });
    return new Promise((resolve, reject) => {
      port.open((err) => {
        if (err) {
          const { code, hint } = classifyOpenError(err.message);
          reject(this.error(code, `${hint} (${err.message})`, err));
          return;
        }
        this.attach(port);
        resolve();
      });
    });
  }

  private attach(port: SerialPort): void {
    this.port = port;
    port.on('data', (chunk: Buffer) => this.dataListeners.emit(chunk));
    // Without an 'error' listener a stream error would crash the process.
    port.on('error', (err: Error) =>
      this.logger.warn({ err, port: this.settings.path }, 'serial port error'),
    );
    port.on('close', (err: (Error & { disconnected?: boolean }) | null) =>
      this.lost(port, err?.message ?? 'closed'),
    );
    this.startWatchdog(port);
  }

  private startWatchdog(port: SerialPort): void {
    this.stopWatchdog();
    // The device the open file descriptor refers to (fstat), not whatever the path names by the
    // time we look: the path may already be gone, or name a new device after an unplug and replug.
    const fd = (port.port as { fd?: number | null } | undefined)?.fd;
    const baseline = (done: (error: Error | null, rdev?: number) => void) => {
      if (typeof fd === 'number') fstat(fd, (error, stats) => done(error, stats?.rdev));
      else stat(this.settings.path, (error, stats) => done(error, stats?.rdev));
    };
    baseline((error, rdev) => {
      if (this.port !== port) return;
      if (error || rdev === undefined) {
        this.lost(port, `device node ${this.settings.path} is gone`);
        return;
      }
      this.watchdog = setInterval(() => {
        stat(this.settings.path, (err, now) => {
          if (err) this.lost(port, `device node ${this.settings.path} is gone`);
          else if (now.rdev !== rdev) this.lost(port, `${this.settings.path} now names another device`);
        });
      }, this.watchdogMs);
      this.watchdog.unref();
    });
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
  }

  /** The port went away (reported by the OS or found by the watchdog). */
  private lost(port: SerialPort, reason: string): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.stopWatchdog();
    if (port.isOpen) port.close(() => undefined);
    if (this.closedByUser) return;
    const error = this.error('MG_ERR_PORT_DISCONNECTED', `disconnected (${reason})`);
    this.logger.warn({ port: this.settings.path, reason }, 'serial port disconnected');
    if (this.reconnect) {
      this.setState('reconnecting', error);
      void this.reconnectLoop(this.reconnect);
    } else {
      this.setState('closed', error);
    }
  }

  private async reconnectLoop(policy: ReconnectPolicy): Promise<void> {
    const controller = new AbortController();
    this.reconnectAbort = controller;
    let wait = policy.initialDelayMs;
    while (!controller.signal.aborted && !this.closedByUser) {
      try {
        await delay(wait, controller.signal);
        await this.openOnce();
        if (this.closedByUser) {
          await this.closePort();
          return;
        }
        this.logger.info({ port: this.settings.path }, 'serial port reconnected');
        this.setState('open');
        return;
      } catch {
        wait = Math.min(wait * 2, policy.maxDelayMs);
      }
    }
  }

  async write(data: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port || this.currentState !== 'open') {
      throw this.error('MG_ERR_PORT_CLOSED', `write while the port is ${this.currentState}`);
    }
    if (this.settings.rs485Rts) await this.setRts(port, true);
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(data), (err) => {
        if (err) reject(this.error('MG_ERR_PORT_CLOSED', `write failed (${err.message})`, err));
      });
      port.drain((err) => {
        if (err) reject(this.error('MG_ERR_PORT_CLOSED', `drain failed (${err.message})`, err));
        else resolve();
      });
    });
    // Half-duplex RS-485: release the line once the last byte has left the UART.
    if (this.settings.rs485Rts) await this.setRts(port, false);
  }

  private setRts(port: SerialPort, rts: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      port.set({ rts }, (err) => {
        if (err) {
          reject(
            this.error(
              'MG_ERR_PORT_OPEN_FAILED',
              `cannot drive RTS for RS-485 direction control (${err.message}); set rs485Rts: false for adapters with automatic direction control`,
              err,
            ),
          );
        } else resolve();
      });
    });
  }

  async close(): Promise<void> {
    this.closedByUser = true;
    this.reconnectAbort?.abort();
    await this.closePort();
    if (this.currentState !== 'closed') this.setState('closed');
  }

  private closePort(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    this.stopWatchdog();
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }

  onData(listener: (chunk: Buffer) => void): () => void {
    return this.dataListeners.add(listener);
  }

  onStateChange(listener: (state: LinkState, error?: MetrogateError) => void): () => void {
    return this.stateListeners.add(listener);
  }

  private setState(state: LinkState, error?: MetrogateError): void {
    this.currentState = state;
    this.stateListeners.emit(state, error);
  }
}
