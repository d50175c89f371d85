import { defineDriver } from '../definition.js';
import { type TaximeterJtt905Config, taximeterJtt905ConfigSchema } from './config.js';
import { TAXIMETER_JTT905_CHANNELS, TaximeterJtt905Driver } from './driver.js';
import { decodeJtt905Frame } from './protocol.js';

export const taximeterJtt905 = defineDriver<TaximeterJtt905Config>({
  id: 'taximeter-jtt905',
  title: 'Taximeters on the JT/T 905.2 ISU peripheral interface (status, fare parameters, trip records)',
  kind: 'taximeter',
  transport: 'serial',
  configSchema: taximeterJtt905ConfigSchema,
  channels: TAXIMETER_JTT905_CHANNELS,
  // The ISU–meter line settings are in no source found (UNCONFIRMED): 9600 8N1, overridable.
  defaultLineSettings: { baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
  simulatorProtocol: 'jtt905',
  decodeFrame: (frame) => decodeJtt905Frame(frame),
  create: (config, deps) => new TaximeterJtt905Driver(config, deps),
});

export { TaximeterJtt905Driver } from './driver.js';
