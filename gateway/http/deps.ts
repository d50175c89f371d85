/**
 * What the HTTP API is built from (`buildApp(deps)`): the store always; the running gateway
 * (devices, live readings, counters) when there is one — `metrogate start` and `demo` — and not for
 * `metrogate serve`, which serves the store alone. Tests build the app from the same seams.
 */
import type { ScaleDriver } from '../../drivers/contract.js';
import type { Logger } from '../../drivers/logger.js';
import type { CertificateInstitute } from '../certificates/index.js';
import type { CoverageConfig } from '../config/gateway-config.js';
import type { DeviceState } from '../runtime/contracts.js';
import type { LiveEvents, LiveReading } from '../runtime/live-events.js';
import type { ScheduledBusStats, ScheduledDeviceStats } from '../scheduler/index.js';
import type { MetrogateStore } from '../store/store.js';
import type { ScaleOperator } from '../verification/guided-scale.js';
import type { RuleOverrides } from '../verification/types.js';

/** A device of the running gateway, as the fleet page shows it. */
export interface DeviceView {
  id: string;
  driver: string;
  kind: string;
  region?: string;
  instrumentId?: string;
  bus: string;
  pollIntervalMs: number;
  state: DeviceState;
  phase: string;
  polls: number;
  pollErrors: number;
  skipped: number;
  consecutiveFailures: number;
  lastPollAt?: string;
  lastError?: { code: string; message: string };
  /** The last reading of each channel. */
  readings: LiveReading[];
}

/** The gateway's health counters (`GatewayService` in gateway/runtime/service.ts). */
export interface GatewayStats {
  readingsTaken: number;
  pollsFailed: number;
  outboxDepth: number;
  outboxDropped: number;
  scheduler: {
    polls: number;
    pollErrors: number;
    skipped: number;
    elapsedMs: number;
    devices: ScheduledDeviceStats[];
    buses: ScheduledBusStats[];
  };
  /** Each sink's own stats (InfluxDB, MQTT), by sink name. */
  sinks: Record<string, Record<string, number | string | boolean>>;
}

/** The running gateway as the API sees it. */
export interface GatewayView {
  id: string;
  devices(): DeviceView[];
  live: Pick<LiveEvents, 'subscribe' | 'latestOf' | 'historyOf'>;
  /** The driver of a scale device, for verification sessions; undefined for other kinds. */
  scaleDriver(deviceId: string): ScaleDriver | undefined;
  stats(): GatewayStats;
}

export interface RateLimitOptions {
  /** Requests per client (IP address) in each window. */
  max: number;
  timeWindowMs: number;
}

export interface HttpOptions {
  /** Largest JSON body, bytes (413 above it). */
  bodyLimit: number;
  /** Largest CSV body of a registry import, bytes. */
  importBodyLimit: number;
  /** `false` turns rate limiting off (benchmarks of the raw path only). */
  rateLimit: RateLimitOptions | false;
  /** Origins allowed to call the API from a browser page elsewhere; empty: CORS off (same origin only). */
  corsOrigins: readonly string[];
  /** Open Server-Sent-Event streams at once, over all clients. */
  maxLiveClients: number;
  /** Comment line sent on idle SSE streams so that proxies keep them open, ms. */
  liveHeartbeatMs: number;
  /** `/metrics` without a token (a Prometheus on a trusted network); default false. */
  publicMetrics: boolean;
  /** Verification sessions kept in memory (the oldest finished ones are dropped first). */
  maxSessions: number;
  /** How long a session may wait for the technician before it is cancelled, ms. */
  sessionIdleMs: number;
  /** Stable-reading timeout of a capture, ms. */
  stableTimeoutMs: number;
}

export const DEFAULT_HTTP_OPTIONS: HttpOptions = {
  bodyLimit: 256 * 1024,
  importBodyLimit: 32 * 1024 * 1024,
  rateLimit: { max: 6000, timeWindowMs: 60_000 },
  corsOrigins: [],
  maxLiveClients: 64,
  liveHeartbeatMs: 15_000,
  publicMetrics: false,
  maxSessions: 200,
  sessionIdleMs: 4 * 3_600_000,
  stableTimeoutMs: 30_000,
};

export interface HttpDeps {
  store: MetrogateStore;
  logger: Logger;
  /** The running gateway; absent when only the store is served. */
  gateway?: GatewayView;
  /** Coverage periods and targets (config `coverage`); defaults apply when absent. */
  coverage?: CoverageConfig;
  /** Rule-set overrides of the config (`verification.overrides`). */
  overrides?: RuleOverrides;
  /** Printed on certificates. */
  institute?: CertificateInstitute;
  /**
   * Who moves the loads on a simulated scale during a session (the demo passes the simulator's
   * control API): when it returns an operator, a capture also places the load and the rounding
   * load is found by stepping, as `metrogate verify --auto` does.
   */
  scaleAssist?: (deviceId: string) => ScaleOperator | undefined;
  options?: Partial<HttpOptions>;
  /** The API's clock (tests fix it; coverage defaults to the current year to date by it). */
  now?: () => Date;
}
