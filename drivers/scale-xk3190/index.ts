// STUB: replaced by the scale-xk3190 driver.
import { defineDriver, serialDeviceSchema } from '../definition.js';

export const scaleXk3190 = defineDriver({
  id: 'scale-xk3190',
  title: 'Yaohua XK3190',
  kind: 'scale',
  transport: 'serial',
  configSchema: serialDeviceSchema,
  defaultLineSettings: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  simulatorProtocol: 'xk3190',
  channels: [],
  decodeFrame: () => ({ ok: false, code: 'MG_ERR_COMMAND_UNSUPPORTED', reason: 'stub' }),
  create() {
    throw new Error('not implemented');
  },
});
