import { isMetrogateError } from '../contract.js';
import { type DeviceIdentity, defineDriver, type ScanSupport } from '../definition.js';
import { type SbiConfig, sbiConfigSchema } from './config.js';
import { querySbiIdentity, SBI_DRIVER_ID, SbiScaleDriver } from './driver.js';
import {
  createSbiFramer,
  decodeSbiFrame,
  decodeSbiPrint,
  encodeSbiCommand,
  isSbiPrintLine,
} from './protocol.js';

/**
 * Recognition by a print: the reply to `ESC P` must be an SBI line (weight, limit, Err or Stat),
 * which free-text identification replies are not. The model is asked only afterwards, in the time
 * that is left.
 */
const scan: ScanSupport = {
  createFramer: createSbiFramer,
  isOwnFrame: isSbiPrintLine,
  async probe(channel, options): Promise<DeviceIdentity | undefined> {
    const deadline = performance.now() + options.timeoutMs;
    let identity: DeviceIdentity;
    try {
      const reply = await channel.request(encodeSbiCommand('print'), {
        timeoutMs: options.timeoutMs,
        accept: isSbiPrintLine,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const print = decodeSbiPrint(reply.bytes);
      identity = print.ok && print.value.unit !== '' ? { unit: print.value.unit } : {};
    } catch (error) {
      if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
      return undefined;
    }
    try {
      const model = await querySbiIdentity(channel, {
        timeoutMs: options.timeoutMs,
        deadline,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      return { ...identity, ...model };
    } catch (error) {
      if (isMetrogateError(error, 'MG_ERR_ABORTED')) throw error;
      return identity;
    }
  },
};

export const scaleSbi = defineDriver<SbiConfig>({
  id: SBI_DRIVER_ID,
  title: 'Sartorius SBI (16/22-character print lines)',
  kind: 'scale',
  transport: 'serial',
  configSchema: sbiConfigSchema,
  channels: [
    {
      name: 'weight',
      valueType: 'decimal',
      description: 'Displayed weight as printed (net when a tare is set); unit from the print line',
    },
  ],
  // Factory setting of WZA weigh cells; other families UNCONFIRMED (see README).
  defaultLineSettings: { baudRate: 1200, dataBits: 7, parity: 'odd', stopBits: 1 },
  simulatorProtocol: 'sbi',
  decodeFrame: decodeSbiFrame,
  scan,
  create: (config, deps) => new SbiScaleDriver(config, deps),
});
