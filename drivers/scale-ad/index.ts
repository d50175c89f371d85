// STUB: replaced by the scale-ad driver.
import { defineDriver, serialDeviceSchema } from '../definition.js';

export const scaleAd = defineDriver({
  id: 'scale-ad',
  title: 'A&D standard format',
  kind: 'scale',
  transport: 'serial',
  configSchema: serialDeviceSchema,
  defaultLineSettings: { baudRate: 2400, dataBits: 7, parity: 'even', stopBits: 1 },
  simulatorProtocol: 'ad',
  channels: [],
  decodeFrame: () => ({ ok: false, code: 'MG_ERR_COMMAND_UNSUPPORTED', reason: 'stub' }),
  create() {
    throw new Error('not implemented');
  },
});
