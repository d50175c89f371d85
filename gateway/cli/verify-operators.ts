/**
 * Who puts the loads on the scale during `metrogate verify`: the technician at the terminal, or
 * the scale simulator's control API (`--auto`), which is how tests and the demo run a verification
 * unattended, rounding weights and discrimination loads included.
 */
import type { Interface as ReadlineInterface } from 'node:readline/promises';
import { Dec } from '../../drivers/decimal.js';
import { MetrogateError } from '../../drivers/errors.js';
import { changePointByStepping, type ScaleOperator } from '../verification/guided-scale.js';
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
