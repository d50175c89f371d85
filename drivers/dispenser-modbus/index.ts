import { defineDriver, modbusEndpointOf } from '../definition.js';
import { type DispenserModbusConfig, dispenserModbusConfigSchema } from './config.js';
import { DispenserModbusDriver } from './driver.js';
import { decodeDispenserFrame } from './protocol.js';

export {
  type DispenserMap,
  type DispenserModbusConfig,
  dispenserModbusConfigSchema,
  resolveDispenserMap,
} from './config.js';
export { DispenserModbusDriver } from './driver.js';
export {
  DART_STATUS_CODES,
  DISPENSER_PRESET_IDS,
  DISPENSER_PRESETS,
  type DispenserPreset,
} from './presets.js';

export const dispenserModbus = defineDriver<DispenserModbusConfig>({
  id: 'dispenser-modbus',
  title: 'Modbus dispenser or flow computer',
  kind: 'dispenser',
  transport: 'modbus',
  configSchema: dispenserModbusConfigSchema,
  simulatorProtocol: 'modbus',
  channels: [
    {
      name: 'status',
      valueType: 'text',
      description:
        'pump state: not-programmed, reset, authorized, filling, completed, max-reached, switched-off, suspended (unknown-<code> otherwise)',
    },
    { name: 'nozzle', valueType: 'integer', description: 'selected logical nozzle, 0 = none' },
    { name: 'nozzleOut', valueType: 'boolean', description: '1 while the nozzle is out of its holster' },
    {
      name: 'volume',
      valueType: 'decimal',
      unit: 'L',
      description: 'volume of the current or last delivery (unstable while filling)',
    },
    {
      name: 'amount',
      valueType: 'decimal',
      description: 'amount of the current or last delivery (unstable while filling)',
    },
    { name: 'unitPrice', valueType: 'decimal', description: 'unit price of the delivery' },
    { name: 'flow', valueType: 'decimal', unit: 'L/min', description: 'current flow rate' },
    { name: 'alarm', valueType: 'integer', description: 'first active alarm code, 0 = none' },
    {
      name: 'volumeTotal.<nozzle>',
      valueType: 'decimal',
      unit: 'L',
      description:
        'non-resettable volume totalizer of each configured nozzle (`volumeTotal` for a single meter)',
    },
    {
      name: 'amountTotal.<nozzle>',
      valueType: 'decimal',
      description:
        'non-resettable amount totalizer of each configured nozzle (`amountTotal` for a single meter)',
    },
  ],
  decodeFrame: decodeDispenserFrame,
  modbusEndpoint: modbusEndpointOf,
  create: (config, deps) => new DispenserModbusDriver(config, deps),
});
