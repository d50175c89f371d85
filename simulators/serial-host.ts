/**
 * Hosts a simulated serial device: connects a protocol speaker (the device's firmware) to a line
 * (a socat pty or an in-memory link), and puts between them what a real line adds: line-settings
 * mismatch (line-emulation.ts), wire time at the device's baud rate, and injected faults.
 */
import type { Logger } from '../drivers/logger.js';
import { silentLogger } from '../drivers/logger.js';
import type { ByteLink, MemoryLink } from '../drivers/transport/link.js';
import { SerialLink } from '../drivers/transport/serial-link.js';
import { wireTimeMs } from '../drivers/transport/serial-settings.js';
import { FaultInjector, type FrameMeta } from './faults.js';
import { LineEmulator, readPeerSettings, type UartSettings } from './line-emulation.js';
import { createPtyPair, type PtyPair } from './pty.js';
import { preciseDelay } from './timing.js';

/** What a protocol speaker may do: send frames, know the time. */
export interface SpeakerIo {
  /** Sends one frame (faults apply per frame). */
  emit(frame: Buffer, meta?: FrameMeta): void;
  now(): number;
}

/** A device's firmware for one protocol: reacts to bytes, optionally streams on its own. */
export interface DeviceSpeaker {
  receive(chunk: Buffer): void;
  /** While > 0 the host calls `tick` at this interval (continuous output modes). */
  readonly streamIntervalMs: number;
  tick(): void;
}

export interface SerialHostOptions {
  /** The device's own line settings; a gateway at other settings receives garbage. */
  line: UartSettings;
  /** Delay frames by their time on the wire at `line.baudRate` (benchmarks, realistic demos). */
  emulateWireTime?: boolean;
  /** Device processing time between the end of a request and the start of its reply. */
  responseDelayMs?: number;
  faults?: FaultInjector;
  logger?: Logger;
}

export class SerialDeviceHost {
  readonly faults: FaultInjector;
  private readonly options: SerialHostOptions;
  private readonly logger: Logger;
  private speaker: DeviceSpeaker | undefined;
  private link: ByteLink | undefined;
  private pty: PtyPair | undefined;
  private emulator: LineEmulator | undefined;
  private streamTimer: NodeJS.Timeout | undefined;
  private streamInterval = 0;
  private lineFreeAt = 0;
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  private outgoing: Promise<void> = Promise.resolve();
  /** Incoming chunks are handled one after the other, in arrival order. */
  private incomingChain: Promise<void> = Promise.resolve();

  constructor(options: SerialHostOptions) {
    this.options = options;
    this.faults = options.faults ?? new FaultInjector();
    this.logger = options.logger ?? silentLogger();
  }

  /** The io object to give the speaker's factory. */
  get io(): SpeakerIo {
    return {
      emit: (frame, meta) => this.emit(frame, meta),
      now: () => Date.now(),
    };
  }

  setSpeaker(speaker: DeviceSpeaker): void {
    this.speaker = speaker;
  }

  /** Creates a socat pty pair and serves on its device end; returns the pair (gatewayPath to print). */
  async servePty(paths: { gatewayPath?: string; devicePath?: string } = {}): Promise<PtyPair> {
    const pty = await createPtyPair(paths);
    this.pty = pty;
    this.emulator = new LineEmulator(this.options.line, () => readPeerSettings(pty.gatewayPath));
    await this.openDeviceEnd();
    return pty;
  }

  private async openDeviceEnd(): Promise<void> {
    const pty = this.pty!;
    const link = new SerialLink({ path: pty.devicePath, ...this.options.line }, { reconnect: false });
    await link.open();
    this.useLink(link);
  }

  /** Serves on an already-open link (one end of a memory pair); no line emulation. */
  serveLink(link: ByteLink | MemoryLink): void {
    this.useLink(link);
  }

  private useLink(link: ByteLink): void {
    this.unsubscribe?.();
    this.link = link;
    this.unsubscribe = link.onData((chunk) => {
      this.incomingChain = this.incomingChain
        .then(() => this.incoming(chunk))
        .catch((error) => {
          this.logger.debug({ err: error }, 'simulator failed to handle input');
        });
    });
    this.updateStream();
  }

  private async incoming(chunk: Buffer): Promise<void> {
    if (this.faults.takeDisconnect() !== undefined) return;
    let bytes = chunk;
    if (this.emulator) {
      await this.emulator.refresh();
      bytes = this.emulator.toDevice(chunk);
    }
    if (this.options.emulateWireTime) {
      // The last byte of the request reaches the device one wire time after the first was sent.
      await preciseDelay(wireTimeMs(chunk.length, this.options.line));
    }
    if (this.options.responseDelayMs) await preciseDelay(this.options.responseDelayMs);
    this.speaker?.receive(bytes);
    this.updateStream();
  }

  private emit(frame: Buffer, meta?: FrameMeta): void {
    const pending = this.faults.takeDisconnect();
    if (pending !== undefined) {
      void this.disconnect(pending);
      return;
    }
    const faulted = this.faults.apply(frame, meta);
    if (!faulted || faulted.length === 0) return;
    this.outgoing = this.outgoing
      .then(() => this.transmit(faulted))
      .catch((error) => {
        this.logger.debug({ err: error }, 'simulator write failed');
      });
  }

  private async transmit(frame: Buffer): Promise<void> {
    const link = this.link;
    if (!link || this.closed) return;
    let bytes = frame;
    if (this.emulator) {
      if (this.emulator.gatewaySettings === undefined) await this.emulator.refresh();
      else void this.emulator.refresh();
      bytes = this.emulator.toGateway(frame);
    }
    if (this.options.emulateWireTime) {
      const now = performance.now();
      const start = Math.max(now, this.lineFreeAt);
      this.lineFreeAt = start + wireTimeMs(frame.length, this.options.line);
      await preciseDelay(this.lineFreeAt - now);
    }
    if (link.state === 'open' && bytes.length > 0) await link.write(bytes);
  }

  /** Re-arms the stream timer when the speaker starts or stops continuous output. */
  updateStream(): void {
    const interval = this.speaker?.streamIntervalMs ?? 0;
    if (interval === this.streamInterval) return;
    this.streamInterval = interval;
    if (this.streamTimer) clearInterval(this.streamTimer);
    this.streamTimer = undefined;
    if (interval > 0 && !this.closed) {
      this.streamTimer = setInterval(() => {
        this.speaker?.tick();
        this.updateStream();
      }, interval);
    }
  }

  /** Unplugs the device for `durationMs` and plugs it back (pty: socat killed and restarted). */
  async disconnect(durationMs: number): Promise<void> {
    this.logger.info({ durationMs }, 'simulated disconnect');
    const link = this.link;
    this.unsubscribe?.();
    this.link = undefined;
    if (this.pty) {
      await link?.close();
      await this.pty.unplug();
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      if (this.closed) return;
      await this.pty.plug();
      await this.openDeviceEnd();
    } else if (link) {
      const memory = link as MemoryLink;
      memory.peer?.simulateDisconnect();
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      if (this.closed) return;
      this.useLink(link);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.streamTimer) clearInterval(this.streamTimer);
    this.unsubscribe?.();
    await this.outgoing.catch(() => undefined);
    await this.link?.close();
    await this.pty?.close();
  }
}
