import { defineDriver, modbusEndpointOf } from '../definition.js';
import { type ScaleModbusConfig, scaleModbusConfigSchema } from './config.js';
import { ScaleModbusDriver } from './driver.js';
import { decodeScaleBlock } from './protocol.js';

export { resolvePreset, type ScaleModbusConfig, scaleModbusConfigSchema } from './config.js';
export { SCALE_PRESET_IDS, SCALE_PRESETS, type ScalePreset } from './presets.js';

export const scaleModbus = defineDriver<ScaleModbusConfig>({
  id: 'scale-modbus',
  title: 'Modbus weighing transmitter',
  kind: 'scale',
  transport: 'modbus',
  configSchema: scaleModbusConfigSchema,
  simulatorProtocol: 'modbus',
  channels: [
    { name: 'weight', valueType: 'decimal', description: 'displayed (net) weight in the configured unit' },
    { name: 'gross', valueType: 'decimal', description: 'gross weight (with `channels: [gross]`)' },
    { name: 'zero', valueType: 'boolean', description: 'centre-of-zero flag (with `channels: [zero]`)' },
    { name: 'status', valueType: 'integer', description: 'raw status word (with `channels: [status]`)' },
  ],
  decodeFrame: decodeScaleBlock,
  modbusEndpoint: modbusEndpointOf,
  create: (config, deps) => new ScaleModbusDriver(config, deps),
});
