import { describe, expect, it } from 'vitest';
import type { FrameMeta } from '../../faults.js';
import { ScaleModel, type ScaleModelParams } from '../model.js';
import { xk3190Protocol } from './xk3190.js';

const NOW = 1_000_000;
const KG_30: Partial<ScaleModelParams> = { max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0 };

function speakerFor(options: Record<string, unknown> = {}, params: Partial<ScaleModelParams> = KG_30) {
  const model = new ScaleModel(params, () => NOW);
  const sent: { frame: Buffer; meta: FrameMeta | undefined }[] = [];
  const speaker = xk3190Protocol.createSpeaker(
    model,
    { emit: (frame, meta) => sent.push({ frame: Buffer.from(frame), meta }), now: () => NOW },
    options,
  );
  const text = () => sent.map(({ frame }) => frame.toString('latin1'));
  const hexes = () => sent.map(({ frame }) => frame.toString('hex'));
  return { model, speaker, sent, text, hexes };
}

const hex = (text: string) => text.replace(/\s+/g, '').toLowerCase();

describe('xk3190 simulator, continuous format 0', () => {
  it('streams every 50 ms by default and sends the reference frame for +20.00', () => {
    const { model, speaker, hexes } = speakerFor();
    expect(speaker.streamIntervalMs).toBe(50);
    model.setLoad('20');
    speaker.tick();
    expect(hexes()).toEqual([hex('02 2B 30 30 32 30 30 30 32 31 42 03')]);
  });

  it('sends the reference frame for +1.234 on a 0.001 kg scale', () => {
    const { model, speaker, hexes } = speakerFor({}, { ...KG_30, max: '6', e: '0.001', d: '0.001' });
    model.setLoad('1.234');
    speaker.tick();
    expect(hexes()).toEqual([hex('02 2B 30 30 31 32 33 34 33 31 43 03')]);
  });

  it('sends the net weight with a minus sign when negative', () => {
    const { model, speaker, text } = speakerFor();
    model.setLoad('5');
    model.tare(true);
    model.setLoad('3.5');
    speaker.tick();
    expect(text()[0]?.slice(1, 9)).toBe('-0001502');
  });

  it('saturates a value too long for six digits (UNCONFIRMED behaviour, documented)', () => {
    const { model, speaker, text } = speakerFor({}, { ...KG_30, max: '20000' });
    model.setLoad('12345.67');
    speaker.tick();
    expect(text()[0]?.slice(1, 9)).toBe('+9999992');
  });

  it('offers a checksum corrupter that keeps the check characters hex but wrong', () => {
    const { model, speaker, sent } = speakerFor();
    model.setLoad('20');
    speaker.tick();
    const { frame, meta } = sent[0]!;
    const corrupted = meta?.corruptChecksum?.(Buffer.from(frame));
    expect(corrupted?.toString('latin1').slice(9, 11)).toMatch(/^[0-9A-F]{2}$/);
    expect(corrupted?.toString('latin1').slice(9, 11)).not.toBe('1B');
    expect(corrupted?.subarray(0, 9)).toEqual(frame.subarray(0, 9));
  });

  it('ignores whatever it receives', () => {
    const { speaker, sent } = speakerFor();
    speaker.receive(Buffer.from('024141303003', 'hex'));
    speaker.receive(Buffer.from('SI\r\n'));
    expect(sent).toEqual([]);
  });

  it('honours the intervalMs option', () => {
    expect(speakerFor({ intervalMs: 100 }).speaker.streamIntervalMs).toBe(100);
    expect(speakerFor({ intervalMs: 0 }).speaker.streamIntervalMs).toBe(0);
  });
});

describe('xk3190 simulator, = formats', () => {
  const kg3 = { ...KG_30, max: '6', e: '0.001', d: '0.001' };

  it('format 1 writes the value backwards with the sign last (reference examples)', () => {
    const a = speakerFor({ format: 'eq-reversed' }, kg3);
    a.model.setLoad('3');
    a.speaker.tick();
    const b = speakerFor({ format: 'eq-reversed' });
    b.model.setLoad('-1');
    b.speaker.tick();
    expect([...a.text(), ...b.text()]).toEqual(['=000.3000', '=00.1000-']);
    expect(a.sent[0]?.meta).toBeUndefined();
  });

  it('format 2 writes the sign first and the value in reading order (reference examples)', () => {
    const a = speakerFor({ format: 'eq' }, kg3);
    a.model.setLoad('3');
    a.speaker.tick();
    const b = speakerFor({ format: 'eq' });
    b.model.setLoad('-1');
    b.speaker.tick();
    expect([...a.text(), ...b.text()]).toEqual(['=0003.000', '=-0001.00']);
  });

  it('sends 7 digits without a point at 0 decimals, and saturates long values (UNCONFIRMED)', () => {
    const whole = speakerFor({ format: 'eq' }, { ...KG_30, max: '60000', e: '1', d: '1' });
    whole.model.setLoad('1234');
    whole.speaker.tick();
    const long = speakerFor({ format: 'eq' }, { ...KG_30, max: '60000' });
    long.model.setLoad('12345.67');
    long.speaker.tick();
    expect([...whole.text(), ...long.text()]).toEqual(['=00001234', '=09999.99']);
  });

  it('rejects an unknown format', () => {
    expect(() => speakerFor({ format: 'tf9' })).toThrow(/format/);
  });
});

describe('xk3190 simulator, instruction mode', () => {
  const instruction = (address = 'A') => {
    const s = speakerFor({ mode: 'instruction', address });
    s.model.setLoad('12');
    s.model.tare(true);
    s.model.setLoad('12.35');
    return s;
  };

  it('does not stream, and answers the reference commands', () => {
    const { speaker, text, hexes } = instruction();
    expect(speaker.streamIntervalMs).toBe(0);
    speaker.tick();
    expect(text()).toEqual([]);
    speaker.receive(Buffer.from('024141303003', 'hex'));
    speaker.receive(Buffer.from('024142303303', 'hex'));
    speaker.receive(Buffer.from('024143303203', 'hex'));
    speaker.receive(Buffer.from('024144303503', 'hex'));
    expect(hexes()[0]).toBe(hex('02 41 41 30 30 03'));
    expect(
      text()
        .slice(1)
        .map((frame) => frame.slice(1, 11)),
    ).toEqual(['AB+0012352', 'AC+0012002', 'AD+0000352']);
    // XOR over address, command and data, as two upper-case hex characters.
    for (const frame of text().slice(1)) {
      let check = 0;
      for (const char of frame.slice(1, 11)) check ^= char.charCodeAt(0);
      expect(frame.slice(11, 13)).toBe(check.toString(16).toUpperCase().padStart(2, '0'));
    }
  });

  it('parses a command split into single bytes and after line noise', () => {
    const { speaker, text } = instruction();
    for (const byte of Buffer.from('ff00024144303503', 'hex')) speaker.receive(Buffer.from([byte]));
    expect(text().map((frame) => frame.slice(1, 11))).toEqual(['AD+0000352']);
  });

  it('answers only its own address, a correct XOR and the commands A-D', () => {
    const { speaker, sent } = instruction('B');
    speaker.receive(Buffer.from('024144303503', 'hex')); // address A
    speaker.receive(Buffer.from('024244303503', 'hex')); // address B, XOR of A
    speaker.receive(Buffer.from('024245303703', 'hex')); // E: unit price, not a weighing command here
    expect(sent).toEqual([]);
    speaker.receive(Buffer.from('024244303603', 'hex'));
    expect(sent).toHaveLength(1);
  });

  it('rejects a malformed address option', () => {
    expect(() => speakerFor({ mode: 'instruction', address: 'a' })).toThrow(/address/);
  });
});
