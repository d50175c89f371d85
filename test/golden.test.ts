/**
 * Replays every driver's golden frames through its decoder, and makes the simulator produce the
 * same bytes from the same state. The frames come from the reference documents, so an encoding bug
 * in the simulator and a decoding bug in the driver cannot cancel each other out.
 */
import { describe, expect, it } from 'vitest';
import { DRIVERS } from '../drivers/registry.js';
import { SERIAL_SCALE_PROTOCOLS } from '../simulators/scale/index.js';
import { ScaleModel } from '../simulators/scale/model.js';
import { loadGoldenCases } from './helpers/testcases.js';

describe.each(Object.values(DRIVERS))('golden frames of $id', (definition) => {
  const cases = loadGoldenCases(definition.id);

  it('has golden test cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const testCase of cases) {
    it(`decodes ${testCase.name}`, () => {
      const result = definition.decodeFrame(testCase.frame, testCase.config);
      if (testCase.expectedError !== undefined) {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.code).toBe(testCase.expectedError);
      } else {
        expect(result).toEqual({ ok: true, value: testCase.expected });
      }
    });

    const simulate = testCase.simulate;
    const protocolId = definition.simulatorProtocol as keyof typeof SERIAL_SCALE_PROTOCOLS | undefined;
    if (simulate && protocolId && protocolId in SERIAL_SCALE_PROTOCOLS) {
      it(`simulator reproduces ${testCase.name}`, () => {
        const model = new ScaleModel({ settlingMs: 0, ...simulate.params }, () => 1_000_000);
        if (simulate.load !== undefined) model.setLoad(simulate.load, simulate.position ?? 'center');
        const frames: Buffer[] = [];
        const speaker = SERIAL_SCALE_PROTOCOLS[protocolId].createSpeaker(
          model,
          { emit: (frame) => frames.push(Buffer.from(frame)), now: () => 1_000_000 },
          simulate.protocolOptions ?? {},
        );
        for (const command of simulate.before ?? []) speaker.receive(Buffer.from(command, 'latin1'));
        frames.length = 0;
        if (simulate.tick) speaker.tick();
        else if (simulate.requestHex !== undefined)
          speaker.receive(Buffer.from(simulate.requestHex.replace(/\s+/g, ''), 'hex'));
        else speaker.receive(Buffer.from(simulate.request ?? '', 'latin1'));
        expect(frames[0]?.toString('hex')).toBe(testCase.frame.toString('hex'));
      });
    }
  }
});
