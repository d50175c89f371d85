import { rejected } from '../decode-result.js';
import { defineDriver, modbusEndpointOf } from '../definition.js';
import { formatIssues, type ModbusConfig, modbusConfigSchema, registerMapSchema } from './config.js';
import { ModbusMapDriver } from './driver.js';
import { decodeRegisterBlock } from './protocol.js';

export {
  formatIssues,
  type ModbusConfig,
  modbusConfigSchema,
  type RegisterEntry,
  type RegisterMap,
  registerMapSchema,
} from './config.js';
export { ModbusDriverBase, ModbusMapDriver, RegisterMapReader } from './driver.js';
export {
  channelSpecsOfMap,
  type DryRunReport,
  decodeRegisterBlock,
  decodeRegisterValue,
  formatDryRun,
  loadRegisterMap,
  planReads,
  predictWireTime,
} from './protocol.js';

export const modbusGeneric = defineDriver<ModbusConfig>({
  id: 'modbus',
  title: 'Generic Modbus register map',
  kind: 'generic',
  transport: 'modbus',
  configSchema: modbusConfigSchema,
  channels: [
    {
      name: '<register name>',
      valueType: 'decimal',
      description:
        'one channel per register-map entry, named by its `name`: a decimal (integer without scale), "1"/"0" for bools, text for strings',
    },
  ],
  decodeFrame(frame, options) {
    const map = registerMapSchema.safeParse(options);
    if (!map.success) return rejected('MG_ERR_CONFIG_INVALID', `register map: ${formatIssues(map.error)}`);
    return decodeRegisterBlock(map.data, frame);
  },
  modbusEndpoint: modbusEndpointOf,
  create: (config, deps) => new ModbusMapDriver(config, deps),
});
