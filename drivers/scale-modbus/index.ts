// STUB: replaced by the scale-modbus driver.
import { defineDriver, deviceBaseSchema } from '../definition.js';

export const scaleModbus = defineDriver({
  id: 'scale-modbus',
  title: 'Modbus weighing transmitter',
  kind: 'scale',
  transport: 'modbus',
  configSchema: deviceBaseSchema,
  simulatorProtocol: 'modbus',
  channels: [],
  decodeFrame: () => ({ ok: false, code: 'MG_ERR_COMMAND_UNSUPPORTED', reason: 'stub' }),
  create() {
    throw new Error('not implemented');
  },
});
