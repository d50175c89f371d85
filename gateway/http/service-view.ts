/**
 * The running GatewayService as the API sees it (deps.ts GatewayView): its devices with their
 * scheduler state and last readings, its live events, the drivers of its scales for verification
 * sessions, and its health counters for /metrics.
 */
import { isScaleDriver, type ScaleDriver } from '../../drivers/contract.js';
import type { GatewayService } from '../runtime/service.js';
import type { DeviceView, GatewayStats, GatewayView } from './deps.js';

export function gatewayViewOf(service: GatewayService): GatewayView {
  const configured = new Map(service.loaded.devices.map((device) => [device.id, device]));
  const scheduled = new Map(service.scheduledDevices.map((device) => [device.id, device]));
  return {
    id: service.loaded.config.gateway.id,
    live: service.live,
    devices(): DeviceView[] {
      const stats = new Map(service.scheduler.stats().devices.map((device) => [device.id, device]));
      return service.scheduledDevices.map((device) => {
        const config = configured.get(device.id);
        const run = stats.get(device.id);
        return {
          id: device.id,
          driver: config?.driverId ?? device.driver.driverId,
          kind: device.meta.kind,
          ...(device.meta.region ? { region: device.meta.region } : {}),
          ...(device.meta.instrumentId ? { instrumentId: device.meta.instrumentId } : {}),
          bus: device.bus,
          pollIntervalMs: device.intervalMs,
          state: run?.state ?? 'offline',
          phase: run?.phase ?? 'idle',
          polls: run?.polls ?? 0,
          pollErrors: run?.pollErrors ?? 0,
          skipped: run?.skipped ?? 0,
          consecutiveFailures: run?.consecutiveFailures ?? 0,
          ...(run?.lastPollAt ? { lastPollAt: run.lastPollAt } : {}),
          ...(run?.lastError ? { lastError: run.lastError } : {}),
          readings: service.live.latestOf(device.id),
        };
      });
    },
    scaleDriver(deviceId: string): ScaleDriver | undefined {
      const driver = scheduled.get(deviceId)?.driver;
      return driver && isScaleDriver(driver) ? driver : undefined;
    },
    stats(): GatewayStats {
      const scheduler = service.scheduler.stats();
      return {
        readingsTaken: service.counters.readingsTaken,
        pollsFailed: service.counters.pollsFailed,
        outboxDepth: service.store.outbox.depth(),
        outboxDropped: service.store.outbox.dropped(),
        scheduler: {
          polls: scheduler.polls,
          pollErrors: scheduler.pollErrors,
          skipped: scheduler.skipped,
          elapsedMs: scheduler.elapsedMs,
          devices: scheduler.devices,
          buses: scheduler.buses,
        },
        sinks: {
          ...(service.influx ? { [service.influx.name]: service.influx.stats() } : {}),
          ...(service.mqtt ? { [service.mqtt.name]: service.mqtt.stats() } : {}),
        },
      };
    },
  };
}
