import { defineDriver } from '../definition.js';
import { type AdConfig, adConfigSchema } from './config.js';
import { AD_DRIVER_ID, AdScaleDriver, adScanSupport } from './driver.js';
import { decodeAdFrame } from './protocol.js';

export const scaleAd = defineDriver<AdConfig>({
  id: AD_DRIVER_ID,
  title: 'A&D balances and indicators (A&D standard format)',
  kind: 'scale',
  transport: 'serial',
  configSchema: adConfigSchema,
  channels: [
    {
      name: 'weight',
      valueType: 'decimal',
      description: 'the displayed weight (net while a tare is active), or the piece count in PC',
    },
  ],
  // Factory setting seen for FX-i balances (device-protocols.md §1.3); configurable on every model.
  defaultLineSettings: { baudRate: 2400, dataBits: 7, parity: 'even', stopBits: 1 },
  simulatorProtocol: 'ad',
  decodeFrame: (frame) => decodeAdFrame(frame),
  scan: adScanSupport,
  create: (config, deps) => new AdScaleDriver(config, deps),
});
