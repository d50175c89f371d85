/**
 * The scheduler's only source of time. Tests pass nothing and install vitest's fake timers (the
 * default clock looks the globals up at each call, so timers faked after construction still apply),
 * or pass a clock of their own.
 */
export type TimerHandle = unknown;

export interface SchedulerClock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export function systemClock(): SchedulerClock {
  return {
    now: () => Date.now(),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}
