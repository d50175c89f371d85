/**
 * Strict serialisation of transactions on one physical bus (an RS-485 line, a Modbus TCP
 * connection). modbus-serial has no queue of its own, and two requests in flight on one RTU line
 * get each other's replies; everything that talks on a bus goes through its one queue.
 *
 * This is on the path of every poll, so an idle queue runs the task at once, without waiting for
 * a chain of earlier promises.
 */
import { delay } from '../abort.js';
import { abortError } from '../errors.js';

export interface RequestQueueOptions {
  /** Silence kept between the end of one transaction and the start of the next. */
  interFrameDelayMs?: number;
}

interface Waiter {
  start: () => void;
}

export class RequestQueue {
  private readonly interFrameDelayMs: number;
  private busy = false;
  private readonly waiters: Waiter[] = [];
  private busyMs = 0;

  constructor(options: RequestQueueOptions = {}) {
    this.interFrameDelayMs = options.interFrameDelayMs ?? 0;
  }

  /** Transactions queued or running. */
  get depth(): number {
    return this.waiters.length + (this.busy ? 1 : 0);
  }

  /** Total time the bus has been busy with transactions, for utilisation figures. */
  get busyTimeMs(): number {
    return this.busyMs;
  }

  /**
   * Runs `task` when every earlier task has finished. If `signal` aborts while the task is still
   * waiting its turn, it is skipped and rejects with MG_ERR_ABORTED.
   */
  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.busy) await new Promise<void>((start) => this.waiters.push({ start }));
    this.busy = true;
    try {
      if (signal?.aborted) throw abortError(signal.reason);
      const started = performance.now();
      try {
        return await task();
      } finally {
        this.busyMs += performance.now() - started;
        if (this.interFrameDelayMs > 0) await delay(this.interFrameDelayMs);
      }
    } finally {
      const next = this.waiters.shift();
      if (next) next.start();
      else this.busy = false;
    }
  }
}
