/**
 * One physical bus (an RS-485 line, a Modbus TCP connection): the jobs of its devices run one at a
 * time, first come first served, with the configured silence between two of them. A device has at
 * most one job in the lane (the scheduler skips its ticks meanwhile), so serving in arrival order is
 * round-robin: every device that is due gets one turn before any device gets a second.
 */
import type { SchedulerClock, TimerHandle } from './clock.js';

export interface BusJob {
  /** Id of the device the job belongs to. */
  readonly owner: string;
  /** Does the work; settles when the bus is free again. Must not reject. */
  run(): Promise<void>;
}

export class BusLane {
  readonly bus: string;
  readonly interFrameDelayMs: number;
  /** Successful polls on this bus (counted by the scheduler). */
  polls = 0;
  /** Failed polls on this bus. */
  pollErrors = 0;
  private readonly clock: SchedulerClock;
  private readonly queue: BusJob[] = [];
  private current: { owner: string; startedAt: number; done: Promise<void> } | undefined;
  private lastEndAt: number | undefined;
  private gapTimer: TimerHandle | undefined;
  private busyMs = 0;
  private stopped = false;

  constructor(bus: string, interFrameDelayMs: number, clock: SchedulerClock) {
    this.bus = bus;
    this.interFrameDelayMs = interFrameDelayMs;
    this.clock = clock;
  }

  /** Jobs waiting for their turn (not counting the running one). */
  get queued(): number {
    return this.queue.length;
  }

  /** Time spent running jobs, including the running one so far. */
  busyTime(): number {
    const running = this.current ? this.clock.now() - this.current.startedAt : 0;
    return this.busyMs + running;
  }

  enqueue(job: BusJob): void {
    if (this.stopped) return;
    this.queue.push(job);
    this.pump();
  }

  /** Takes the waiting job of `owner` out of the queue; true when there was one. */
  removeQueued(owner: string): boolean {
    const index = this.queue.findIndex((job) => job.owner === owner);
    if (index < 0) return false;
    this.queue.splice(index, 1);
    return true;
  }

  /** Resolves when the job of `owner` that is running now (if any) has finished. */
  async waitFor(owner: string): Promise<void> {
    if (this.current?.owner === owner) await this.current.done;
  }

  /** Drops the waiting jobs and resolves once the running one has finished; runs nothing more. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    if (this.gapTimer !== undefined) this.clock.clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    await this.current?.done;
  }

  private pump(): void {
    if (this.stopped || this.current || this.gapTimer !== undefined) return;
    if (this.queue.length === 0) return;
    if (this.lastEndAt !== undefined && this.interFrameDelayMs > 0) {
      const wait = this.lastEndAt + this.interFrameDelayMs - this.clock.now();
      if (wait > 0) {
        this.gapTimer = this.clock.setTimeout(() => {
          this.gapTimer = undefined;
          this.pump();
        }, wait);
        return;
      }
    }
    const job = this.queue.shift()!;
    const startedAt = this.clock.now();
    const slot: { owner: string; startedAt: number; done: Promise<void> } = {
      owner: job.owner,
      startedAt,
      done: Promise.resolve(),
    };
    // Marked busy before the job starts, so that anything it enqueues synchronously waits.
    this.current = slot;
    slot.done = job
      .run()
      .catch(() => undefined)
      .then(() => {
        const endedAt = this.clock.now();
        this.busyMs += endedAt - startedAt;
        this.lastEndAt = endedAt;
        this.current = undefined;
        this.pump();
      });
  }
}
