/**
 * The gateway as a service (`metrogate start`): the configured devices polled by the scheduler, each
 * reading committed to the outbox before it counts as taken, the InfluxDB sink draining the outbox,
 * the MQTT sink publishing live readings, device states and durable verification events, the
 * gateway's own health as a point, and verification records exported as they appear. A stop
 * flushes what it can within a deadline and leaves the rest in the outbox for the next start.
 */
import type { Logger } from '../../drivers/logger.js';
import { createDriverDeps } from '../../drivers/transport/factory.js';
import { describeEndpoint, ModbusBusPool } from '../../drivers/transport/modbus-client.js';
import { SharedLinkPool } from '../../drivers/transport/shared-link.js';
import type { ConfiguredDevice, LoadedGatewayConfig } from '../config/gateway-config.js';
import { Scheduler } from '../scheduler/index.js';
import { InfluxSink } from '../sinks/influx.js';
import { MqttSink } from '../sinks/mqtt.js';
import { gatewayPoint, ReadingPointMapper } from '../sinks/points.js';
import { MetrogateStore } from '../store/store.js';
import type { ScheduledDevice, SchedulerListener } from './contracts.js';
import { RecordExporter } from './record-export.js';

export interface GatewayServiceOptions {
  dataDir: string;
  logger: Logger;
  /** How often new verification records are exported (ms). */
  exportIntervalMs?: number;
}

export interface GatewayCounters {
  readingsTaken: number;
  pollsFailed: number;
}

/** The physical bus a device sits on: devices with the same key share one line or connection. */
export function busKeyOf(device: ConfiguredDevice): string {
  const { definition, settings } = device;
  if (definition.transport === 'modbus' && definition.modbusEndpoint)
    return describeEndpoint(definition.modbusEndpoint(settings));
  return `serial ${(settings as { port: string }).port}`;
}

export class GatewayService {
  readonly store: MetrogateStore;
  readonly scheduler: Scheduler;
  readonly influx: InfluxSink | undefined;
  readonly mqtt: MqttSink | undefined;
  readonly counters: GatewayCounters = { readingsTaken: 0, pollsFailed: 0 };
  private readonly busPool = new ModbusBusPool();
  private readonly sharedLinks = new SharedLinkPool();
  private readonly exporter: RecordExporter;
  private timers: NodeJS.Timeout[] = [];
  private readonly startedAt = performance.now();
  private stopped = false;

  private constructor(
    private readonly loaded: LoadedGatewayConfig,
    private readonly options: GatewayServiceOptions,
  ) {
    const { config } = loaded;
    const logger = options.logger;
    this.store = MetrogateStore.open({
      dataDir: options.dataDir,
      outbox: { maxPoints: config.outbox.maxPoints },
    });
    const influx = config.sinks.influx;
    this.influx = influx
      ? new InfluxSink({
          url: influx.url,
          ...(influx.username !== undefined ? { username: influx.username } : {}),
          ...(influx.password !== undefined ? { password: influx.password } : {}),
          outbox: this.store.outbox,
          batchSize: influx.batchSize,
          idleIntervalMs: influx.flushIntervalMs,
          logger: logger.child({ sink: 'influxdb' }),
        })
      : undefined;
    const mqtt = config.sinks.mqtt;
    this.mqtt = mqtt
      ? new MqttSink({
          url: mqtt.url,
          gatewayId: config.gateway.id,
          ...(mqtt.username !== undefined ? { username: mqtt.username } : {}),
          ...(mqtt.password !== undefined ? { password: mqtt.password } : {}),
          ...(mqtt.prefix !== undefined ? { prefix: mqtt.prefix } : {}),
          ...(mqtt.tls !== undefined ? { tls: mqtt.tls } : {}),
          db: this.store.db,
          logger: logger.child({ sink: 'mqtt' }),
        })
      : undefined;
    this.exporter = new RecordExporter(this.store, {
      influx: this.influx !== undefined,
      ...(this.mqtt ? { mqtt: this.mqtt } : {}),
    });

    const byId = new Map(loaded.devices.map((device) => [device.id, device]));
    const mapper = new ReadingPointMapper({
      channelType: (deviceId, channel) => {
        // Drivers name readings by the configured device id; per-nozzle channels are `volumeTotal.1`.
        const channels = byId.get(deviceId)?.definition.channels ?? [];
        const family = channel.split('.')[0];
        return channels.find((c: { name: string }) => c.name === channel || c.name.split('.')[0] === family)
          ?.valueType;
      },
    });
    const devices: ScheduledDevice[] = loaded.devices
      .filter((device) => device.enabled)
      .map((device) => {
        const deps = createDriverDeps(device.definition, device.settings, {
          logger,
          busPool: this.busPool,
          sharedLinks: this.sharedLinks,
        });
        return {
          id: device.id,
          driver: device.definition.create(device.settings, deps),
          bus: busKeyOf(device),
          intervalMs: device.pollIntervalMs,
          timeoutMs: (device.settings as { timeoutMs?: number }).timeoutMs ?? 1000,
          meta: {
            kind: device.definition.kind,
            ...(device.region ? { region: device.region } : {}),
            ...(device.instrumentId ? { instrumentId: device.instrumentId } : {}),
          },
        };
      });
    const mqttListener: SchedulerListener | undefined = this.mqtt?.schedulerListener();
    const listener: SchedulerListener = {
      readings: (device, result) => {
        // Committed to SQLite before anything else: from here on the readings cannot be lost.
        this.store.outbox.append(mapper.fromPoll(device, result));
        this.counters.readingsTaken += result.readings.length;
        this.influx?.notify();
        mqttListener?.readings?.(device, result);
      },
      deviceState: (device, state, error) => {
        logger.info({ device: device.id, state, code: error?.code }, `device ${state}`);
        mqttListener?.deviceState?.(device, state, error);
      },
      pollError: (device, error) => {
        this.counters.pollsFailed++;
        logger.debug({ device: device.id, code: error.code, err: error.message }, 'poll failed');
      },
    };
    this.scheduler = new Scheduler({
      devices,
      listener,
      options: config.scheduler,
      logger: logger.child({ part: 'scheduler' }),
    });
  }

  static async start(loaded: LoadedGatewayConfig, options: GatewayServiceOptions): Promise<GatewayService> {
    const service = new GatewayService(loaded, options);
    await service.influx?.start();
    await service.mqtt?.start();
    service.scheduler.start();
    service.exportRecords();
    const { config } = loaded;
    service.timers.push(setInterval(() => service.writeHealth(), config.gateway.healthIntervalMs));
    service.timers.push(setInterval(() => service.exportRecords(), options.exportIntervalMs ?? 2000));
    return service;
  }

  /** The gateway's own health as a `gateway` point. */
  writeHealth(): void {
    const outbox = this.store.outbox;
    this.store.outbox.append([
      gatewayPoint({
        gatewayId: this.loaded.config.gateway.id,
        at: new Date(),
        scheduler: this.scheduler.stats(),
        outbox: { depth: outbox.depth(), dropped: outbox.dropped() },
        extra: {
          readings: this.counters.readingsTaken,
          bus_utilisation_permille: this.busUtilisationPermille(),
        },
      }),
    ]);
    this.influx?.notify();
  }

  /** The busiest bus's share of time spent in transactions since start, in ‰. */
  busUtilisationPermille(): number {
    const elapsed = performance.now() - this.startedAt;
    if (elapsed <= 0) return 0;
    const busiest = Math.max(0, ...this.scheduler.stats().buses.map((bus) => bus.busyMs));
    return Math.min(1000, Math.round((busiest / elapsed) * 1000));
  }

  exportRecords(): number {
    const exported = this.exporter.exportNew();
    if (exported > 0) this.influx?.notify();
    return exported;
  }

  stats(): Record<string, unknown> {
    return {
      ...this.counters,
      outboxDepth: this.store.outbox.depth(),
      outboxDropped: this.store.outbox.dropped(),
      scheduler: this.scheduler.stats(),
      ...(this.influx ? { influx: this.influx.stats() } : {}),
      ...(this.mqtt ? { mqtt: this.mqtt.stats() } : {}),
    };
  }

  /**
   * Stops polling, flushes the sinks within `deadlineMs`, closes everything; resolves with the
   * number of points left in the outbox for the next start. Idempotent.
   */
  async stop(deadlineMs = 5000): Promise<number> {
    if (this.stopped) return 0;
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.scheduler.stop();
    this.exportRecords();
    this.writeHealth();
    await Promise.all([
      this.influx?.stop({ flush: true, deadlineMs }),
      this.mqtt?.stop({ flush: true, deadlineMs }),
    ]);
    await this.busPool.closeAll().catch(() => undefined);
    await this.sharedLinks.closeAll().catch(() => undefined);
    const left = this.store.outbox.depth();
    this.store.close();
    return left;
  }
}
