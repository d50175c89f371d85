/**
 * Golden test cases: drivers/<id>/testcases/<case>/ holds
 *   frame.hex       the bytes of one frame as the device sends it (hex, whitespace and # comments allowed)
 *   expected.json   what decodeFrame returns for it, or
 *   expected.err    the MG_ERR_* code decodeFrame rejects it with (first line)
 *   config.json     optional options for decodeFrame (Modbus: the register map)
 *   simulate.json   optional: the simulator state that must produce exactly frame.hex
 *                   { "params": {...}, "load": "100", "position": "center", "protocolOptions": {...},
 *                     "request": "SI\r\n" | "requestHex": "1b 50" | "tick": true }
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface GoldenCase {
  driverId: string;
  name: string;
  dir: string;
  frame: Buffer;
  expected?: unknown;
  expectedError?: string;
  config?: unknown;
  simulate?: {
    params?: Record<string, unknown>;
    load?: string;
    position?: string;
    protocolOptions?: Record<string, unknown>;
    request?: string;
    requestHex?: string;
    tick?: boolean;
    /** Commands sent first (e.g. "T\r\n" to tare) whose replies are ignored. */
    before?: string[];
  };
}

export function parseHex(text: string): Buffer {
  const clean = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(' ')
    .replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex: ${text}`);
  return Buffer.from(clean, 'hex');
}

export function loadGoldenCases(driverId: string, root = 'drivers'): GoldenCase[] {
  const base = join(root, driverId, 'testcases');
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = join(base, entry.name);
      const read = (file: string) =>
        existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : undefined;
      const frame = read('frame.hex');
      if (frame === undefined) throw new Error(`${dir}: frame.hex is missing`);
      const expected = read('expected.json');
      const expectedError = read('expected.err');
      const config = read('config.json');
      const simulate = read('simulate.json');
      return {
        driverId,
        name: entry.name,
        dir,
        frame: parseHex(frame),
        ...(expected !== undefined ? { expected: JSON.parse(expected) } : {}),
        ...(expectedError !== undefined
          ? { expectedError: expectedError.trim().split('\n')[0]!.trim() }
          : {}),
        ...(config !== undefined ? { config: JSON.parse(config) } : {}),
        ...(simulate !== undefined ? { simulate: JSON.parse(simulate) } : {}),
      };
    });
}
