import { defineDriver } from '../definition.js';
import { type DispenserDartConfig, dispenserDartConfigSchema } from './config.js';
import { DispenserDartDriver } from './driver.js';
import { dartFrameOptions, decodeDartFrame } from './protocol.js';

export const dispenserDart = defineDriver<DispenserDartConfig>({
  id: 'dispenser-dart',
  title: 'Wayne DART pump interface (RS-485, several pumps per line)',
  kind: 'dispenser',
  transport: 'serial',
  multiDrop: true,
  configSchema: dispenserDartConfigSchema,
  channels: [
    {
      name: 'status',
      valueType: 'text',
      description: 'pump state (DC1): reset, authorized, filling, completed…',
    },
    { name: 'nozzle', valueType: 'integer', description: 'selected logical nozzle (DC3), 0 = none' },
    {
      name: 'nozzleOut',
      valueType: 'boolean',
      description: '1 while the selected nozzle is out of its holster (DC3)',
    },
    {
      name: 'volume',
      valueType: 'decimal',
      unit: 'L',
      description: 'volume of the current or last filling (DC2)',
    },
    {
      name: 'amount',
      valueType: 'decimal',
      description: 'amount of the current or last filling (DC2), in `currency`',
    },
    { name: 'unitPrice', valueType: 'decimal', description: 'unit price of the filling (DC3), `currency`/L' },
    {
      name: 'volumeTotal.<n>',
      valueType: 'decimal',
      unit: 'L',
      description: 'with `totals: true`: volume totalizer of nozzle n (DC101), e.g. volumeTotal.1',
    },
    {
      name: 'amountTotal.<n>',
      valueType: 'decimal',
      description: 'with `totals: true`: amount totalizer of nozzle n (DC101), e.g. amountTotal.1',
    },
  ],
  // §2.1 level 1: 9600 or 19200 baud, 8 data bits, odd parity, 1 stop bit; captures show 8O1.
  defaultLineSettings: { baudRate: 9600, dataBits: 8, parity: 'odd', stopBits: 1 },
  simulatorProtocol: 'dart',
  decodeFrame: (frame, options) => decodeDartFrame(frame, dartFrameOptions(options)),
  create: (config, deps) => new DispenserDartDriver(config, deps),
});
