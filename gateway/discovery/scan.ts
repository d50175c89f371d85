/**
 * Finds which scale protocol and line settings a device on an unknown serial port speaks. For each
 * candidate setting it opens the port, listens for unsolicited frames (continuous-output scales),
 * then sends each protocol's identification command. Every step has a deadline, so a dead port or
 * a device that never answers costs a bounded time and never hangs the scan.
 */
import { throwIfAborted } from '../../drivers/abort.js';
import type { DeviceIdentity, DriverDefinition, LineSettings } from '../../drivers/definition.js';
import { isMetrogateError, MetrogateError } from '../../drivers/errors.js';
import type { Logger } from '../../drivers/logger.js';
import { FrameChannel } from '../../drivers/transport/frame-channel.js';
import { SerialLink } from '../../drivers/transport/serial-link.js';
import { formatLineSettings, parseLineSettings } from '../../drivers/transport/serial-settings.js';

export const DEFAULT_SCAN_BAUDS = [9600, 19200, 4800, 2400, 38400, 57600, 115200];
export const DEFAULT_SCAN_FRAMINGS = ['8N1', '7E1', '7O1', '8E1', '8O1'];

export interface ScanHit {
  driver: string;
  title: string;
  settings: LineSettings;
  /** `stream`: the device was sending on its own; `probe`: it answered an identification command. */
  detectedBy: 'stream' | 'probe';
  identity: DeviceIdentity;
}

export interface ScanProgress {
  step: number;
  total: number;
  settings: string;
  driver: string;
}

export interface ScanOptions {
  port: string;
  // biome-ignore lint/suspicious/noExplicitAny: definitions carry their own config type
  drivers: DriverDefinition<any>[];
  bauds?: number[];
  framings?: string[];
  /** Time to listen for unsolicited frames at each setting. */
  listenMs?: number;
  /** Deadline of one protocol's probe. */
  probeTimeoutMs?: number;
  /** Keep going after the first hit and report every match. */
  all?: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  onProgress?: (progress: ScanProgress) => void;
}

export function scanSettings(bauds: number[], framings: string[]): LineSettings[] {
  const settings: LineSettings[] = [];
  for (const baudRate of bauds) {
    for (const framing of framings) {
      const parsed = parseLineSettings(`${baudRate} ${framing}`);
      if (!parsed) {
        throw new MetrogateError('MG_ERR_INPUT_INVALID', `framing "${framing}" is not like 8N1 or 7E1`, {
          path: '--framings',
        });
      }
      settings.push(parsed);
    }
  }
  return settings;
}

function collect(link: SerialLink, ms: number, signal?: AbortSignal): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const off = link.onData((chunk) => chunks.push(chunk));
    const finish = () => {
      off();
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(finish, ms);
    signal?.addEventListener('abort', finish, { once: true });
  });
}

export async function scanPort(options: ScanOptions): Promise<ScanHit[]> {
  const drivers = options.drivers.filter((d) => d.scan !== undefined && d.transport === 'serial');
  const settingsList = scanSettings(
    options.bauds ?? DEFAULT_SCAN_BAUDS,
    options.framings ?? DEFAULT_SCAN_FRAMINGS,
  );
  const listenMs = options.listenMs ?? 300;
  const probeTimeoutMs = options.probeTimeoutMs ?? 250;
  const total = settingsList.length * drivers.length;
  const hits: ScanHit[] = [];
  let step = 0;
  for (const settings of settingsList) {
    throwIfAborted(options.signal);
    const label = formatLineSettings(settings);
    const link = new SerialLink(
      { path: options.port, ...settings },
      { reconnect: false, ...(options.logger ? { logger: options.logger } : {}) },
    );
    // A missing or busy port fails the whole scan at once: no setting will do better.
    await link.open(options.signal);
    try {
      const heard = await collect(link, listenMs, options.signal);
      const found = new Set<string>();
      for (const driver of drivers) {
        const framer = driver.scan!.createFramer();
        const frames = framer.push(heard).flatMap((o) => ('frame' in o ? [o.frame] : []));
        if (frames.some((frame) => driver.scan!.isOwnFrame(frame))) {
          found.add(driver.id);
          hits.push({ driver: driver.id, title: driver.title, settings, detectedBy: 'stream', identity: {} });
        }
      }
      for (const driver of drivers) {
        step++;
        options.onProgress?.({ step, total, settings: label, driver: driver.id });
        if (found.size > 0 && !found.has(driver.id)) continue;
        const channel = new FrameChannel(link, driver.scan!.createFramer());
        channel.attach();
        try {
          const identity = await driver.scan!.probe(channel, {
            timeoutMs: probeTimeoutMs,
            ...(options.signal ? { signal: options.signal } : {}),
          });
          if (identity) {
            const streamHit = hits.find((h) => h.driver === driver.id && h.settings === settings);
            if (streamHit) streamHit.identity = identity;
            else
              hits.push({ driver: driver.id, title: driver.title, settings, detectedBy: 'probe', identity });
            found.add(driver.id);
          }
        } catch (error) {
          if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
          options.logger?.debug({ err: error, driver: driver.id, settings: label }, 'probe failed');
        } finally {
          channel.detach();
        }
      }
    } finally {
      await link.close();
    }
    if (hits.length > 0 && !options.all) {
      options.onProgress?.({ step: total, total, settings: label, driver: '' });
      break;
    }
  }
  return hits;
}
