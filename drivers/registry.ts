/**
 * Every driver metrogate has, by id. Explicit rather than registered by import side effect: the
 * list is type-checked, greppable, and walked by the conventions test.
 */
import type { DriverDefinition } from './definition.js';
import { dispenserDart } from './dispenser-dart/index.js';
import { dispenserModbus } from './dispenser-modbus/index.js';
import { MetrogateError } from './errors.js';
import { modbusGeneric } from './modbus/index.js';
import { scaleAd } from './scale-ad/index.js';
import { scaleModbus } from './scale-modbus/index.js';
import { scaleMtsics } from './scale-mtsics/index.js';
import { scaleSbi } from './scale-sbi/index.js';
import { scaleXk3190 } from './scale-xk3190/index.js';
import { taximeterJtt905 } from './taximeter-jtt905/index.js';

// biome-ignore lint/suspicious/noExplicitAny: each definition has its own config type
type AnyDriverDefinition = DriverDefinition<any>;

export const DRIVERS = {
  'scale-mtsics': scaleMtsics,
  'scale-ad': scaleAd,
  'scale-sbi': scaleSbi,
  'scale-xk3190': scaleXk3190,
  'scale-modbus': scaleModbus,
  'dispenser-dart': dispenserDart,
  'dispenser-modbus': dispenserModbus,
  'taximeter-jtt905': taximeterJtt905,
  modbus: modbusGeneric,
} satisfies Record<string, AnyDriverDefinition>;

export type DriverId = keyof typeof DRIVERS;

export function driverIds(): DriverId[] {
  return Object.keys(DRIVERS) as DriverId[];
}

export function getDriver(id: string): AnyDriverDefinition {
  const definition = (DRIVERS as Record<string, AnyDriverDefinition>)[id];
  if (!definition) {
    throw new MetrogateError(
      'MG_ERR_DRIVER_UNKNOWN',
      `unknown driver "${id}"; known drivers: ${driverIds().join(', ')}`,
      { driver: id },
    );
  }
  return definition;
}

/** Serial scale drivers that `metrogate scan` can recognise. */
export function scannableDrivers(): AnyDriverDefinition[] {
  return Object.values(DRIVERS as Record<string, AnyDriverDefinition>).filter(
    (d) => d.scan !== undefined && d.kind === 'scale',
  );
}
