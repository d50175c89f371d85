/**
 * Builds the transport a configured device needs: a serial link, or the shared Modbus client of
 * its bus. Used by the CLI and the gateway, so that drivers never open anything themselves.
 */
import type { DriverDeps } from '../contract.js';
import { type DriverDefinition, lineSettingsOf, type SerialDeviceConfig } from '../definition.js';
import { MetrogateError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ModbusBusPool } from './modbus-client.js';
import { type ReconnectPolicy, SerialLink } from './serial-link.js';
import type { SharedLinkPool } from './shared-link.js';

export interface TransportContext {
  logger: Logger;
  busPool: ModbusBusPool;
  reconnect?: ReconnectPolicy | false;
  now?: () => Date;
  /**
   * Serial ports shared by several devices of a multi-drop protocol (a definition with `multiDrop`):
   * with a pool, every such device on one port gets the same link; without, each its own.
   */
  sharedLinks?: SharedLinkPool;
}

export function createDriverDeps(
  // biome-ignore lint/suspicious/noExplicitAny: definitions carry their own config type
  definition: DriverDefinition<any>,
  config: unknown,
  context: TransportContext,
): DriverDeps {
  const base = {
    logger: context.logger.child({ driver: definition.id }),
    now: context.now ?? (() => new Date()),
  };
  if (definition.transport === 'serial') {
    const defaults = definition.defaultLineSettings ?? {
      baudRate: 9600,
      dataBits: 8,
      parity: 'none',
      stopBits: 1,
    };
    const settings = lineSettingsOf(config as SerialDeviceConfig, defaults);
    const createLink = () =>
      new SerialLink(settings, {
        logger: base.logger,
        ...(context.reconnect !== undefined ? { reconnect: context.reconnect } : {}),
      });
    if (definition.multiDrop && context.sharedLinks) {
      return { ...base, link: context.sharedLinks.get(settings, createLink) };
    }
    return { ...base, link: createLink() };
  }
  if (!definition.modbusEndpoint) {
    throw new MetrogateError(
      'MG_ERR_CONFIG_INVALID',
      `driver ${definition.id} declares no Modbus endpoint`,
      {},
    );
  }
  return { ...base, modbus: context.busPool.get(definition.modbusEndpoint(config)) };
}
