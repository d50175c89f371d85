/**
 * Random bytes from a noisy line must never crash a decoder, never hang it, and never be taken for
 * a valid weight without a reason: every driver's decodeFrame returns a DecodeResult for anything.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DRIVERS } from '../drivers/registry.js';
import { loadGoldenCases } from './helpers/testcases.js';

describe.each(Object.values(DRIVERS))('fuzzing $id decodeFrame', (definition) => {
  const configs = [
    undefined,
    ...loadGoldenCases(definition.id)
      .map((c) => c.config)
      .filter((c) => c !== undefined),
  ];

  it('returns a DecodeResult for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(...configs), (bytes, config) => {
        const result = definition.decodeFrame(Buffer.from(bytes), config);
        expect(typeof result.ok).toBe('boolean');
        if (!result.ok) expect(result.code).toMatch(/^MG_ERR_/);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns a DecodeResult for mutations of its golden frames', () => {
    const cases = loadGoldenCases(definition.id);
    if (cases.length === 0) return;
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.nat(),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (testCase, position, byte, truncate) => {
          const frame = Buffer.from(testCase.frame);
          if (frame.length === 0) return;
          const index = position % frame.length;
          const mutated = truncate
            ? frame.subarray(0, index)
            : (() => {
                frame[index] = byte;
                return frame;
              })();
          const result = definition.decodeFrame(mutated, testCase.config);
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
