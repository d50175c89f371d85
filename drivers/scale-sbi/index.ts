// STUB: replaced by the scale-sbi driver.
import { defineDriver, serialDeviceSchema } from '../definition.js';

export const scaleSbi = defineDriver({
  id: 'scale-sbi',
  title: 'Sartorius SBI',
  kind: 'scale',
  transport: 'serial',
  configSchema: serialDeviceSchema,
  defaultLineSettings: { baudRate: 1200, dataBits: 7, parity: 'odd', stopBits: 1 },
  simulatorProtocol: 'sbi',
  channels: [],
  decodeFrame: () => ({ ok: false, code: 'MG_ERR_COMMAND_UNSUPPORTED', reason: 'stub' }),
  create() {
    throw new Error('not implemented');
  },
});
