/**
 * The bench's pulse generator for a simulated taximeter in the same process: the pulses go straight
 * into the meter model at the simulator's time scale, counted batch by batch so that an abort leaves
 * `emitted` exact. (Across processes, drivers/transport/pulse-generator.ts `HttpPulseGenerator` does
 * the same through the control API's `POST /pulses`.)
 */

import { isMetrogateError, toMetrogateError } from '../../drivers/errors.js';
import { checkEmission, type PulseGenerator } from '../../drivers/transport/pulse-generator.js';
import type { TaximeterSimulator } from './index.js';

export class SimulatorPulseGenerator implements PulseGenerator {
  readonly description: string;
  private readonly sim: TaximeterSimulator;
  private count = 0;

  constructor(sim: TaximeterSimulator) {
    this.sim = sim;
    this.description = `simulated pulse generator into the ${sim.protocol} taximeter simulator`;
  }

  get emitted(): number {
    return this.count;
  }

  async emit(count: number, ratePerSecond: number, signal?: AbortSignal): Promise<void> {
    checkEmission(this.description, count, ratePerSecond);
    try {
      await this.sim.feedPulses(count, ratePerSecond, signal, (pulses) => {
        this.count += pulses;
      });
    } catch (error) {
      if (isMetrogateError(error)) throw error;
      throw toMetrogateError(error, 'MG_ERR_DEVICE_ERROR', { port: this.description });
    }
  }
}
