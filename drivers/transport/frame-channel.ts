/**
 * A FrameChannel turns a ByteLink into frames (through a Framer) and offers the two patterns device
 * protocols need: request/response (write a command, wait for the matching reply) and streaming
 * (the device sends on its own; the driver takes the newest frame). Requests are serialised so two
 * callers never interleave on one line.
 *
 * When a request times out the channel says why: nothing came back at all (MG_ERR_TIMEOUT: device
 * off, wrong port, wrong cable) or bytes came back that were not frames (MG_ERR_FRAME_GARBLED:
 * almost always a wrong baud rate or parity).
 */
import { abortError, type ErrorCode, MetrogateError } from '../errors.js';
import type { Framer, FramerOutput } from './framers.js';
import { type ByteLink, Listeners } from './link.js';
import { RequestQueue } from './request-queue.js';

export interface ReceivedFrame {
  bytes: Buffer;
  /** performance.now() when the last byte of the frame arrived. */
  at: number;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Frames for which this returns false are left to the stream listeners and not consumed. */
  accept?: (frame: Buffer) => boolean;
}

const MAX_QUEUED_FRAMES = 64;
const GARBAGE_SAMPLE_BYTES = 24;

export class FrameChannel {
  readonly link: ByteLink;
  private readonly framer: Framer;
  private readonly queue: RequestQueue;
  private readonly frameListeners = new Listeners<[ReceivedFrame]>();
  private readonly garbageListeners = new Listeners<[Buffer, string]>();
  private readonly queued: ReceivedFrame[] = [];
  private waiter: ((frame: ReceivedFrame) => boolean) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private garbageSinceFrame: Buffer[] = [];
  /** Code of the last frame a decoder rejected since the wait began (checksum vs garbled). */
  private lastRejectionCode: ErrorCode | undefined;
  private latestFrame: ReceivedFrame | undefined;

  constructor(link: ByteLink, framer: Framer, queue: RequestQueue = new RequestQueue()) {
    this.link = link;
    this.framer = framer;
    this.queue = queue;
  }

  /** Opens the link and starts framing. */
  async open(signal?: AbortSignal): Promise<void> {
    this.attach();
    await this.link.open(signal);
  }

  /** Starts framing on a link that the caller opens itself. */
  attach(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.link.onData((chunk) => this.receive(chunk));
  }

  /** Stops framing but leaves the link open (scan hands one open port to several protocols). */
  detach(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.framer.reset();
    this.queued.length = 0;
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.framer.reset();
    this.queued.length = 0;
    await this.link.close();
  }

  onFrame(listener: (frame: ReceivedFrame) => void): () => void {
    return this.frameListeners.add(listener);
  }

  onGarbage(listener: (bytes: Buffer, reason: string) => void): () => void {
    return this.garbageListeners.add(listener);
  }

  /** Newest frame received, whether or not somebody consumed it. */
  get latest(): ReceivedFrame | undefined {
    return this.latestFrame;
  }

  /** Writes without waiting for an answer (commands that have none, stream stop). */
  async send(data: Uint8Array | string, signal?: AbortSignal): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    await this.queue.run(() => this.link.write(bytes), signal);
  }

  /**
   * Discards frames received before the request, writes it and resolves with the first accepted
   * frame. Serialised with every other request on this channel.
   */
  request(data: Uint8Array | string, options: WaitOptions): Promise<ReceivedFrame> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    return this.queue.run(async () => {
      // Whatever arrived before the request (a partial frame, a stale reply) cannot be its answer.
      this.framer.reset();
      this.queued.length = 0;
      this.garbageSinceFrame = [];
      this.lastRejectionCode = undefined;
      const reply = this.waitFor(options);
      // The reply may settle (abort, timeout) while the write is still draining; the caller gets
      // that rejection from the returned promise, so it must not count as unhandled meanwhile.
      reply.catch(() => undefined);
      try {
        await this.link.write(bytes);
      } catch (error) {
        this.cancelWait();
        throw error;
      }
      return reply;
    }, options.signal);
  }

  /** Waits for the next accepted frame without writing (streaming devices). */
  nextFrame(options: WaitOptions): Promise<ReceivedFrame> {
    return this.queue.run(() => {
      this.garbageSinceFrame = [];
      this.lastRejectionCode = undefined;
      return this.waitFor(options);
    }, options.signal);
  }

  private waitFor(options: WaitOptions): Promise<ReceivedFrame> {
    const accept = options.accept ?? (() => true);
    return new Promise<ReceivedFrame>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(abortError(options.signal.reason));
        return;
      }
      const cleanup = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.waiter = undefined;
      };
      const onAbort = () => {
        cleanup();
        reject(abortError(options.signal?.reason));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(this.timeoutError(options.timeoutMs));
      }, options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = (frame) => {
        if (!accept(frame.bytes)) return false;
        cleanup();
        resolve(frame);
        return true;
      };
      // A frame may already be queued (streaming devices send without being asked).
      while (this.queued.length > 0 && this.waiter) {
        const frame = this.queued.shift()!;
        if (this.waiter(frame)) break;
      }
    });
  }

  private cancelWait(): void {
    this.waiter = undefined;
  }

  private timeoutError(timeoutMs: number): MetrogateError {
    const details = { port: this.link.description };
    const garbage = Buffer.concat(this.garbageSinceFrame);
    if (garbage.length > 0) {
      const sample = garbage.subarray(0, GARBAGE_SAMPLE_BYTES).toString('hex').replace(/(..)/g, '$1 ').trim();
      if (this.lastRejectionCode === 'MG_ERR_FRAME_CHECKSUM') {
        return new MetrogateError(
          'MG_ERR_FRAME_CHECKSUM',
          `port ${this.link.description}: received ${garbage.length} bytes in frames with a wrong checksum ` +
            `(${sample}${garbage.length > GARBAGE_SAMPLE_BYTES ? ' …' : ''}); check the cable, noise on the line and the parity`,
          { ...details, garbageBytes: garbage.length },
        );
      }
      return new MetrogateError(
        'MG_ERR_FRAME_GARBLED',
        `port ${this.link.description}: received ${garbage.length} bytes that are not a valid frame ` +
          `(${sample}${garbage.length > GARBAGE_SAMPLE_BYTES ? ' …' : ''}); check the baud rate, parity and protocol`,
        { ...details, garbageBytes: garbage.length },
      );
    }
    return new MetrogateError(
      'MG_ERR_TIMEOUT',
      `port ${this.link.description}: no answer within ${timeoutMs} ms; check that the device is on, the cable and the port`,
      details,
    );
  }

  private receive(chunk: Buffer): void {
    this.handle(this.framer.push(chunk));
    if (this.framer.idleFlushMs !== undefined) {
      if (this.idleTimer) clearTimeout(this.idleTimer);
      this.idleTimer = setTimeout(() => {
        this.idleTimer = undefined;
        this.handle(this.framer.flushIdle());
      }, this.framer.idleFlushMs);
    }
  }

  private handle(outputs: FramerOutput[]): void {
    const at = performance.now();
    for (const output of outputs) {
      if ('garbage' in output) {
        this.garbageSinceFrame.push(output.garbage);
        this.garbageListeners.emit(output.garbage, output.reason);
        continue;
      }
      const frame = { bytes: output.frame, at };
      this.latestFrame = frame;
      const taken = this.waiter?.(frame) ?? false;
      if (!taken) {
        this.queued.push(frame);
        if (this.queued.length > MAX_QUEUED_FRAMES) this.queued.shift();
      }
      this.frameListeners.emit(frame);
    }
  }

  /**
   * Records that a frame was rejected by the protocol decoder (bad checksum, unknown reply) so that
   * a later timeout reports garbled data rather than silence. With `code` MG_ERR_FRAME_CHECKSUM (the
   * decoder's own code) a timeout whose last rejection was a checksum failure reports that code.
   */
  noteRejected(frame: Buffer, code: ErrorCode = 'MG_ERR_FRAME_GARBLED'): void {
    this.garbageSinceFrame.push(frame);
    this.lastRejectionCode = code;
  }
}
