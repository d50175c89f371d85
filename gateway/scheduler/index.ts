export type { BusJob } from './bus.js';
export { BusLane } from './bus.js';
export { type SchedulerClock, systemClock, type TimerHandle } from './clock.js';
export {
  type BackoffOptions,
  backoffDelay,
  interFrameDelayOf,
  parseSchedulerOptions,
  type SchedulerOptions,
  type SchedulerOptionsInput,
  schedulerOptionsSchema,
} from './options.js';
export {
  type DevicePhase,
  type ScheduledBusStats,
  type ScheduledDeviceStats,
  Scheduler,
  type SchedulerInit,
  type SchedulerStatsDetail,
} from './scheduler.js';
