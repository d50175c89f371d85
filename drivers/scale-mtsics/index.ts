// STUB: replaced by the scale-mtsics driver.
import { defineDriver, serialDeviceSchema } from '../definition.js';

export const scaleMtsics = defineDriver({
  id: 'scale-mtsics',
  title: 'Mettler Toledo MT-SICS',
  kind: 'scale',
  transport: 'serial',
  configSchema: serialDeviceSchema,
  defaultLineSettings: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  simulatorProtocol: 'mt-sics',
  channels: [],
  decodeFrame: () => ({ ok: false, code: 'MG_ERR_COMMAND_UNSUPPORTED', reason: 'stub' }),
  create() {
    throw new Error('not implemented');
  },
});
