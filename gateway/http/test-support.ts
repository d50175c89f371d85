/**
 * Builds the API over a fresh data directory for a test, with one token per role, and a small
 * in-memory gateway view (devices, live events, counters) when a test needs devices.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ScaleDriver } from '../../drivers/contract.js';
import { silentLogger } from '../../drivers/logger.js';
import { LiveEvents } from '../runtime/live-events.js';
import { MetrogateStore } from '../store/store.js';
import { type TokenRole, TokenStore } from '../store/tokens.js';
import { buildApp } from './app.js';
import type { DeviceView, GatewayStats, GatewayView, HttpDeps } from './deps.js';

export interface TestApi {
  app: FastifyInstance;
  store: MetrogateStore;
  dataDir: string;
  tokens: Record<TokenRole, string>;
  /** The Authorization header of a role's token. */
  auth(role: TokenRole): { authorization: string };
  close(): Promise<void>;
}

export async function startTestApi(deps: Partial<Omit<HttpDeps, 'store' | 'logger'>> = {}): Promise<TestApi> {
  const dataDir = mkdtempSync(join(tmpdir(), 'metrogate-http-'));
  const store = MetrogateStore.open({ dataDir, ...(deps.now ? { now: deps.now } : {}) });
  const tokenStore = new TokenStore(store);
  const tokens = {
    admin: tokenStore.create({ role: 'admin', name: 'test admin', actor: 'test' }).token,
    technician: tokenStore.create({ role: 'technician', name: 'Li Wei', actor: 'test' }).token,
    regulator: tokenStore.create({ role: 'regulator', name: 'city bureau', actor: 'test' }).token,
  };
  const app = await buildApp({ store, logger: silentLogger(), ...deps });
  return {
    app,
    store,
    dataDir,
    tokens,
    auth: (role) => ({ authorization: `Bearer ${tokens[role]}` }),
    async close() {
      await app.close();
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface FakeDevice extends Partial<DeviceView> {
  id: string;
  driver?: string;
  kind?: string;
  scale?: ScaleDriver;
}

/** A gateway view over fixed devices; push readings and states through `live`. */
export function fakeGateway(
  devices: FakeDevice[],
  stats: Partial<GatewayStats> = {},
): GatewayView & {
  live: LiveEvents;
} {
  const live = new LiveEvents();
  return {
    id: 'test-gw',
    live,
    devices: () =>
      devices.map(({ scale: _scale, ...device }) => ({
        driver: 'scale-mtsics',
        kind: 'scale',
        bus: 'serial /dev/null',
        pollIntervalMs: 500,
        state: 'online',
        phase: 'idle',
        polls: 0,
        pollErrors: 0,
        skipped: 0,
        consecutiveFailures: 0,
        ...device,
        readings: live.latestOf(device.id),
      })),
    scaleDriver: (id) => devices.find((device) => device.id === id)?.scale,
    stats: () => ({
      readingsTaken: 0,
      pollsFailed: 0,
      outboxDepth: 0,
      outboxDropped: 0,
      scheduler: { polls: 0, pollErrors: 0, skipped: 0, elapsedMs: 0, devices: [], buses: [] },
      sinks: {},
      ...stats,
    }),
  };
}
