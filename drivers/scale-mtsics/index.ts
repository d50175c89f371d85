/**
 * Mettler Toledo MT-SICS balances and indicators (and other brands' MT-SICS-compatible terminals).
 */
import { defineDriver } from '../definition.js';
import { type MtsicsConfig, mtsicsConfigSchema } from './config.js';
import { MTSICS_DRIVER_ID, MtsicsDriver, probeMtsics } from './driver.js';
import { createMtsicsFramer, decodeMtsicsFrame, decodeMtsicsReply } from './protocol.js';

export const scaleMtsics = defineDriver<MtsicsConfig>({
  id: MTSICS_DRIVER_ID,
  title: 'Mettler Toledo MT-SICS',
  kind: 'scale',
  transport: 'serial',
  configSchema: mtsicsConfigSchema,
  channels: [
    {
      name: 'weight',
      valueType: 'decimal',
      description:
        'Net weight as the balance prints it, with its own decimals; empty on overload/underload (S + / S -)',
    },
  ],
  // The commonest documented setting (reference §1.1); there is no universal factory default.
  defaultLineSettings: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  simulatorProtocol: 'mt-sics',
  decodeFrame: (frame) => decodeMtsicsFrame(frame),
  scan: {
    createFramer: createMtsicsFramer,
    isOwnFrame(frame) {
      // A balance left in SIR (or set to continuous output) sends weight lines unasked.
      const result = decodeMtsicsReply(frame);
      return result.ok && result.value.kind === 'weight';
    },
    probe: probeMtsics,
  },
  create: (config, deps) => new MtsicsDriver(config, deps),
});
