// STUB: replaced by the modbus driver.
import { defineDriver, deviceBaseSchema } from '../definition.js';

export const modbusGeneric = defineDriver({
  id: 'modbus',
  title: 'Generic Modbus register map',
  kind: 'generic',
  transport: 'modbus',
  configSchema: deviceBaseSchema,
  channels: [],
  decodeFrame: () => ({ ok: false, code: 'MG_ERR_COMMAND_UNSUPPORTED', reason: 'stub' }),
  create() {
    throw new Error('not implemented');
  },
});
