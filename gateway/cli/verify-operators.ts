/**
 * Who puts the loads on the scale during `metrogate verify`: the technician at the terminal, or
 * the scale simulator's control API (`--auto`), which is how tests and the demo run a verification
 * unattended, rounding weights and discrimination loads included.
 */
import type { Interface as ReadlineInterface } from 'node:readline/promises';
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import {
  HttpPulseGenerator,
  pulseRateForSpeed,
  pulsesForDistance,
} from '../../drivers/transport/pulse-generator.js';
import type { DispenserOperator } from '../verification/guided-dispenser.js';
import { changePointByStepping, type ScaleOperator } from '../verification/guided-scale.js';
import type { TaximeterBench } from '../verification/guided-taximeter.js';
import { instructionOf, type ScaleStep } from '../verification/procedures/scale.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Asks until the answer is a decimal number (Ctrl-D / closed input aborts the verification). */
export async function askDecimal(rl: ReadlineInterface, question: string): Promise<string> {
  for (;;) {
    const answer = (await rl.question(question)).trim();
    if (DECIMAL.test(answer)) return new Dec(answer).toFixed();
    process.stderr.write(`  "${answer}" is not a number; type it again (e.g. 1.5)\n`);
  }
}

export function technicianOperator(
  rl: ReadlineInterface,
  unit: string,
  language: 'en' | 'zh',
): ScaleOperator {
  return {
    async place(step) {
      const text = instructionOf(step, unit)[language];
      await rl.question(`→ ${text}; press Enter when the load is in place `);
    },
    async findRoundingLoad(_step, indication, roundingWeight) {
      return askDecimal(
        rl,
        `  Add ${roundingWeight} ${unit} weights one at a time until the indication changes from ${indication} ${unit}; ` +
          `total added (${unit}): `,
      );
    },
    async addExtraLoad(_step, extraLoad) {
      await rl.question(`  Add ${extraLoad} ${unit} (1.4 d) and press Enter `);
    },
  };
}

async function post(url: string, path: string, body: unknown): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_CONNECT_FAILED',
      `simulator control ${url}: ${(error as Error).message}`,
      { path: url },
    );
  }
  if (!response.ok) {
    throw new MetrogateError(
      'MG_ERR_DEVICE_ERROR',
      `simulator control ${url}${path}: HTTP ${response.status} ${await response.text()}`,
      {
        path: url,
      },
    );
  }
}

/** Drives the scale simulator through its control API (simulators/README.md). */
export function simulatorOperator(controlUrl: string): ScaleOperator {
  let current = { load: '0', position: 'center' };
  const setLoad = (load: string, position: string) => post(controlUrl, '/load', { load, position });
  return {
    async place(step: ScaleStep, load, position) {
      // A repeatability run is a fresh placement: take the load off, then put it back.
      if (step.kind === 'repeatability') await setLoad('0', 'center');
      current = { load, position };
      await setLoad(load, position);
    },
    findRoundingLoad(_step, indication, roundingWeight, read) {
      return changePointByStepping(
        indication,
        roundingWeight,
        (extra) => setLoad(new Dec(current.load).plus(extra).toFixed(), current.position),
        read,
      );
    },
    async addExtraLoad(_step, extraLoad) {
      await setLoad(new Dec(current.load).plus(extraLoad).toFixed(), current.position);
    },
  };
}

/** The technician at a dispenser bench: fills the can by hand and reads it. */
export function technicianDispenserOperator(rl: ReadlineInterface): DispenserOperator {
  return {
    async fill(step, nozzle, flow, volume) {
      await rl.question(
        `→ ${step.instruction}: lift nozzle ${nozzle}, fill the ${volume} L can at about ${flow} L/min, hang up; press Enter `,
      );
    },
    async readReference(step, fields) {
      const values: Record<string, string> = {};
      for (const name of fields) {
        const field = step.capture.find((f) => f.name === name);
        values[name] = await askDecimal(rl, `  ${field?.description ?? name} (${field?.unit ?? ''}): `);
      }
      return values;
    },
  };
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new MetrogateError(
      'MG_ERR_CONNECT_FAILED',
      `simulator control ${url}: ${(error as Error).message}`,
      { path: url },
    );
  }
  if (!response.ok)
    throw new MetrogateError(
      'MG_ERR_DEVICE_ERROR',
      `simulator control ${url}: HTTP ${response.status} ${await response.text()}`,
      { path: url },
    );
  return (await response.json()) as Record<string, unknown>;
}

/** The dispenser simulator's control API fills the can and reads it (`--auto`). */
export function simulatorDispenserOperator(controlUrl: string, address: number): DispenserOperator {
  const pump = `${controlUrl}/pumps/${address}`;
  return {
    async fill(_step, nozzle, flow, volume) {
      await post(controlUrl, `/pumps/${address}/fill`, { nozzle, flow, volume });
    },
    async readReference(_step, fields) {
      const can = await getJson(`${pump}/can`);
      const values: Record<string, string> = {};
      for (const name of fields) {
        const value = can[name];
        if (typeof value !== 'string') {
          throw new MetrogateError('MG_ERR_DEVICE_ERROR', `simulator control ${pump}/can has no ${name}`, {
            path: pump,
          });
        }
        values[name] = value;
      }
      return values;
    },
  };
}

/** The technician at a taximeter bench with their own pulse generator, stopwatch and roller. */
export function technicianTaximeterBench(rl: ReadlineInterface): TaximeterBench {
  return {
    distanceByPulses: (_step, distance) =>
      askDecimal(rl, `→ Feed pulses at the meter's k until it shows ${distance} m; pulses counted (N): `),
    timeOver: (_step, seconds) =>
      askDecimal(
        rl,
        `→ Start the meter and a stopwatch together; at ${seconds} s read the meter's time (s): `,
      ),
    async scriptedTrip(_step, distance, duration) {
      await rl.question(
        `→ Run a trip of ${distance} m in ${duration} s on the bench and end it; press Enter `,
      );
    },
    readFare: () => askDecimal(rl, '  fare shown: '),
    trueDistanceAt: (_step, distance) =>
      askDecimal(
        rl,
        `→ Drive until the meter shows ${distance} m; true distance on the roller or road (m): `,
      ),
  };
}

/**
 * The taximeter simulator as the bench (`--auto`): its pulse generator feeds the meter, its display
 * is read as a technician reads it, its clock holds the meter hired for the time test.
 */
export function simulatorTaximeterBench(controlUrl: string, k: string): TaximeterBench {
  const generator = new HttpPulseGenerator({ url: `${controlUrl}/pulses` });
  const display = async () =>
    (await getJson(`${controlUrl}/display`)) as {
      distance: string;
      elapsedTime: string;
      fare: string;
      pulses: number;
    };
  const hire = async () => {
    const shown = await display();
    if (shown.distance !== undefined && (await getJson(`${controlUrl}/state`)).busy)
      await post(controlUrl, '/abort', {});
    await post(controlUrl, '/trip/start', {}).catch(async () => {
      // Already hired from an earlier step: end that trip first.
      await post(controlUrl, '/trip/stop', {});
      await post(controlUrl, '/trip/start', {});
    });
  };
  const rate = pulseRateForSpeed(60, k);
  return {
    async distanceByPulses(_step, distance) {
      await hire();
      const target = new Dec(distance);
      // Most of the way in one go, then pulse by pulse until the display reaches the point.
      const bulk = Math.floor(pulsesForDistance(target.times('0.98').toFixed(), k));
      if (bulk > 0) await generator.emit(bulk, rate);
      const limit = pulsesForDistance(target.times('1.1').toFixed(), k);
      let shown = await display();
      while (new Dec(shown.distance).lessThan(target)) {
        if (shown.pulses > limit) {
          throw new MetrogateError(
            'MG_ERR_DEVICE_ERROR',
            `the meter did not reach ${distance} m after ${shown.pulses} pulses`,
            { path: controlUrl },
          );
        }
        await generator.emit(1, rate);
        shown = await display();
      }
      await post(controlUrl, '/trip/stop', {});
      return String(shown.pulses);
    },
    async timeOver(_step, seconds) {
      await hire();
      const before = new Dec((await display()).elapsedTime);
      await post(controlUrl, '/wait', { duration: seconds });
      const after = new Dec((await display()).elapsedTime);
      await post(controlUrl, '/trip/stop', {});
      return after.minus(before).toFixed();
    },
    async scriptedTrip(_step, distance, duration) {
      await hire();
      await post(controlUrl, '/drive', { distance, duration });
      await post(controlUrl, '/trip/stop', {});
    },
    readFare: async () => (await display()).fare,
    trueDistanceAt: async () => {
      throw new MetrogateError(
        'MG_ERR_COMMAND_UNSUPPORTED',
        'the simulated bench has no roller: verify installed taximeters with entered values',
        {},
      );
    },
  };
}
