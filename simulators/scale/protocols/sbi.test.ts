import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ScaleModel, type ScaleModelParams } from '../model.js';
import { sbiProtocol } from './sbi.js';

const KG: Partial<ScaleModelParams> = { max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0 };

function balance(options: Record<string, unknown> = {}, params: Partial<ScaleModelParams> = KG) {
  let now = 1_000_000;
  const model = new ScaleModel(params, () => now);
  const frames: string[] = [];
  const speaker = sbiProtocol.createSpeaker(
    model,
    { emit: (frame) => frames.push(frame.toString('latin1')), now: () => now },
    options,
  );
  const send = (...chunks: string[]) => {
    for (const chunk of chunks) speaker.receive(Buffer.from(chunk, 'latin1'));
  };
  /** Everything emitted since the last call. */
  const take = () => frames.splice(0);
  return {
    model,
    speaker,
    send,
    take,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('sbi speaker: printing', () => {
  it('prints a 16-character line for ESC P', () => {
    const b = balance();
    b.model.setLoad('12.345');
    b.send('\u001bP');
    expect(b.take()).toEqual(['+    12.35 kg \r\n']);
  });

  it('prints the 22-character line with the ID code', () => {
    const b = balance({ format: 22 }, { ...KG, unit: 'g', max: '1000' });
    b.model.setLoad('123.56');
    b.send('\u001bP');
    expect(b.take()).toEqual(['N     +   123.56 g  \r\n']);
    const gross = balance({ format: 22, idCode: 'G' });
    gross.send('\u001bP');
    expect(gross.take()).toEqual(['G     +     0.00 kg \r\n']);
  });

  it('prints negative weights with a minus sign and can hide the plus sign', () => {
    const b = balance();
    b.model.setLoad('-0.05');
    b.send('\u001bP');
    expect(b.take()).toEqual(['-     0.05 kg \r\n']);
    const hidden = balance({ plusSign: ' ' });
    hidden.model.setLoad('1.5');
    hidden.send('\u001bP');
    expect(hidden.take()).toEqual(['      1.50 kg \r\n']);
  });

  it('leaves the unit blank while the weight settles', () => {
    const b = balance({}, { ...KG, settlingMs: 500 });
    b.model.setLoad('20');
    b.advance(100);
    b.send('\u001bP');
    const [settling] = b.take();
    expect(settling).toHaveLength(16);
    expect(settling!.slice(11, 14)).toBe('   ');
    b.advance(500);
    b.send('\u001bP');
    expect(b.take()).toEqual(['+    20.00 kg \r\n']);
  });

  it('prints H and L for overload and underload, as Stat lines in the 22-character format', () => {
    const b = balance();
    b.model.setLoad('31');
    b.send('\u001bP');
    expect(b.take()).toEqual(['      H       \r\n']);
    b.model.setLoad('-1');
    b.send('\u001bP');
    expect(b.take()).toEqual(['      L       \r\n']);
    const long = balance({ format: 22 });
    long.model.setLoad('31');
    long.send('\u001bP');
    expect(long.take()).toEqual(['Stat        H       \r\n']);
    long.model.setLoad('-1');
    long.send('\u001bP');
    expect(long.take()).toEqual(['Stat        L       \r\n']);
  });

  it('prints for ESC kP_ and ESC p_ too', () => {
    const b = balance();
    b.send('\u001bkP_', '\u001bp_');
    expect(b.take()).toEqual(['+     0.00 kg \r\n', '+     0.00 kg \r\n']);
  });
});

describe('sbi speaker: command parsing', () => {
  it('assembles commands split across chunks', () => {
    const b = balance();
    b.send('\u001b', 'P');
    b.send('\u001bx', '1', '_');
    expect(b.take()).toEqual(['+     0.00 kg \r\n', 'SIM-15K\r\n']);
  });

  it('answers the same whatever the chunking', () => {
    const script = '\u001bP\r\n\u001bx2_\u001bK\u001bx3_\r\n\u001bP';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 10 }), (cuts) => {
        const b = balance();
        let offset = 0;
        for (let i = 0; offset < script.length; i++) {
          const size = cuts[i % cuts.length]!;
          b.send(script.slice(offset, offset + size));
          offset += size;
        }
        expect(b.take()).toEqual(['+     0.00 kg \r\n', '0123456789\r\n', '1.0.0\r\n', '+     0.00 kg \r\n']);
      }),
    );
  });

  it('answers the identification commands', () => {
    const b = balance();
    b.send('\u001bx1_', '\u001bx2_', '\u001bx3_');
    expect(b.take()).toEqual(['SIM-15K\r\n', '0123456789\r\n', '1.0.0\r\n']);
  });

  it('ignores unknown commands, bytes outside commands and an optional CR LF', () => {
    const b = balance();
    b.send('\u001bK', '\u001bQ', '\u001bx9_', '\u001bz7_', 'hello\r\n', '\u001bO\r\n', '\u001bR');
    expect(b.take()).toEqual([]);
  });

  it('abandons an unfinished command on a new ESC or a line end', () => {
    const b = balance();
    b.send('\u001bx1\u001bP');
    b.send('\u001bx\r\n2_');
    expect(b.take()).toEqual(['+     0.00 kg \r\n']);
  });

  it('drops an over-long command without an underscore', () => {
    const b = balance();
    b.send(`\u001b${'a'.repeat(40)}`, '\u001bP');
    expect(b.take()).toEqual(['+     0.00 kg \r\n']);
  });
});

describe('sbi speaker: keys', () => {
  it('ESC T tares outside the zero-setting range and zeroes inside it', () => {
    const b = balance();
    b.model.setLoad('5');
    b.send('\u001bT');
    expect(b.model.indication().tare).toBe('5.00');
    expect(b.model.indication().net).toBe('0.00');
    b.model.setLoad('0');
    b.model.configure({ zeroOffset: '0.2' });
    b.model.setLoad('0');
    b.model.clearTare();
    expect(b.model.indication().net).toBe('0.20');
    b.send('\u001bT');
    expect(b.model.indication().net).toBe('0.00');
    expect(b.model.indication().tare).toBe('0.00');
    expect(b.take()).toEqual([]);
  });

  it('ESC U and ESC f4_ tare, ESC V and ESC f3_ zero, ESC s3_ clears the tare', () => {
    const b = balance();
    b.model.setLoad('5');
    b.send('\u001bU');
    expect(b.model.indication().tare).toBe('5.00');
    b.send('\u001bs3_');
    expect(b.model.indication().tare).toBe('0.00');
    b.send('\u001bf4_');
    expect(b.model.indication().tare).toBe('5.00');
    b.send('\u001bs', '3', '_');
    b.model.configure({ zeroOffset: '0.1' });
    b.model.setLoad('0');
    b.send('\u001bV');
    expect(b.model.indication().net).toBe('0.00');
    b.model.configure({ zeroOffset: '0.15' });
    b.model.setLoad('0');
    expect(b.model.indication().net).toBe('0.05');
    b.send('\u001bf3_');
    expect(b.model.indication().net).toBe('0.00');
    expect(b.take()).toEqual([]);
  });

  it('refuses to zero a load beyond the zero-setting range', () => {
    const b = balance();
    b.model.setLoad('5');
    b.send('\u001bV', '\u001bP');
    expect(b.take()).toEqual(['+     5.00 kg \r\n']);
  });

  it('keeps a key pressed while unstable until the weight is stable', () => {
    const b = balance({}, { ...KG, settlingMs: 300 });
    b.model.setLoad('5');
    b.send('\u001bU');
    expect(b.model.indication().tare).toBe('0.00');
    b.advance(400);
    b.send('\u001bP');
    expect(b.model.indication().tare).toBe('5.00');
    expect(b.take()).toEqual(['+     0.00 kg \r\n']);
  });
});

describe('sbi speaker: autoprint', () => {
  it('does not stream in poll mode', () => {
    expect(balance().speaker.streamIntervalMs).toBe(0);
  });

  it('streams every intervalMs, 100 ms by default', () => {
    expect(balance({ mode: 'autoprint' }).speaker.streamIntervalMs).toBe(100);
    const b = balance({ mode: 'autoprint', intervalMs: 40, format: 22 });
    expect(b.speaker.streamIntervalMs).toBe(40);
    b.model.setLoad('1');
    b.speaker.tick();
    b.speaker.tick();
    expect(b.take()).toEqual(['N     +     1.00 kg \r\n', 'N     +     1.00 kg \r\n']);
  });

  it('still answers ESC P while autoprinting', () => {
    const b = balance({ mode: 'autoprint' });
    b.send('\u001bP');
    expect(b.take()).toEqual(['+     0.00 kg \r\n']);
  });

  it('executes a pending key at the next autoprint', () => {
    const b = balance({ mode: 'autoprint' }, { ...KG, settlingMs: 300 });
    b.model.setLoad('5');
    b.send('\u001bT');
    b.advance(400);
    b.speaker.tick();
    expect(b.take()).toEqual(['+     0.00 kg \r\n']);
  });
});

describe('sbi protocol definition', () => {
  it('defaults to 1200 7O1', () => {
    expect(sbiProtocol.defaultLine).toEqual({ baudRate: 1200, dataBits: 7, parity: 'odd', stopBits: 1 });
  });

  it.each([{ format: 20 }, { mode: 'stream' }, { intervalMs: 0 }, { plusSign: '-' }, { idCode: 'TOOLONG' }])(
    'rejects the option %j',
    (options) => {
      expect(() => balance(options)).toThrow();
    },
  );
});
