import { describe, expect, it } from 'vitest';
import { ScaleModel, type ScaleModelParams } from '../model.js';
import { mtsicsProtocol } from './mtsics.js';

const SCALE: Partial<ScaleModelParams> = {
  max: '30',
  e: '0.01',
  d: '0.01',
  unit: 'kg',
  settlingMs: 0,
  identity: {
    manufacturer: 'Mettler Toledo',
    model: 'XS204',
    serialNumber: '1234567',
    softwareVersion: '2.1.0',
  },
};

/** A speaker on a clock the test moves, and the lines it sent. */
function setup(params: Partial<ScaleModelParams> = {}, options: Record<string, unknown> = {}) {
  const clock = { now: 1_000_000 };
  const model = new ScaleModel({ ...SCALE, ...params }, () => clock.now);
  const sent: string[] = [];
  const speaker = mtsicsProtocol.createSpeaker(
    model,
    { emit: (frame) => sent.push(frame.toString('latin1')), now: () => clock.now },
    options,
  );
  const send = (text: string) => {
    sent.length = 0;
    speaker.receive(Buffer.from(text, 'latin1'));
    return [...sent];
  };
  return { clock, model, speaker, sent, send };
}

describe('mt-sics speaker: weighing', () => {
  it('answers SI with the net weight right-aligned in a 10-character field', () => {
    const { model, send } = setup();
    model.setLoad('12.345');
    expect(send('SI\r\n')).toEqual(['S S      12.35 kg\r\n']);
    model.setLoad('0');
    expect(send('SI\r\n')).toEqual(['S S       0.00 kg\r\n']);
  });

  it('answers S at once when the weight is stable', () => {
    const { model, send } = setup({ unit: 'g', max: '200' });
    model.setLoad('100');
    expect(send('S\r\n')).toEqual(['S S     100.00 g\r\n']);
  });

  it('marks a settling weight S D', () => {
    const { model, send } = setup({ settlingMs: 1000 });
    model.setLoad('20');
    expect(send('SI\r\n')[0]).toMatch(/^S D {1,}\S+ kg\r\n$/);
  });

  it('prints a negative net weight with its sign next to the digits', () => {
    const { model, send } = setup();
    model.setLoad('0');
    send('TA 0.05 kg\r\n');
    expect(send('SI\r\n')).toEqual(['S S      -0.05 kg\r\n']);
  });

  it('answers S + above Max + 9 e and S - below -20 e', () => {
    const { model, send } = setup();
    model.setLoad('31');
    expect(send('SI\r\n')).toEqual(['S +\r\n']);
    expect(send('S\r\n')).toEqual(['S +\r\n']);
    model.setLoad('0');
    model.configure({ zeroOffset: '-1' });
    model.setLoad('0');
    expect(send('SI\r\n')).toEqual(['S -\r\n']);
  });

  it('holds S until the weight is stable', () => {
    const { clock, model, speaker, send, sent } = setup({ settlingMs: 500 });
    model.setLoad('20');
    expect(send('S\r\n')).toEqual([]);
    expect(speaker.streamIntervalMs).toBeGreaterThan(0);
    clock.now += 200;
    speaker.tick();
    expect(sent).toEqual([]);
    clock.now += 300;
    speaker.tick();
    expect(sent).toEqual(['S S      20.00 kg\r\n']);
    expect(speaker.streamIntervalMs).toBe(0);
  });

  it('answers S I when stability does not come within its timeout', () => {
    const { clock, model, speaker, send, sent } = setup({ settlingMs: 5000 }, { stabilityTimeoutMs: 1000 });
    model.setLoad('20');
    send('S\r\n');
    clock.now += 999;
    speaker.tick();
    expect(sent).toEqual([]);
    clock.now += 1;
    speaker.tick();
    expect(sent).toEqual(['S I\r\n']);
    expect(speaker.streamIntervalMs).toBe(0);
  });

  it('answers S I at once with a zero stability timeout', () => {
    const { model, send } = setup({ settlingMs: 1000 }, { stabilityTimeoutMs: 0 });
    model.setLoad('5');
    expect(send('S\r\n')).toEqual(['S I\r\n']);
  });

  it('drops a held S when another command arrives', () => {
    const { clock, model, speaker, send, sent } = setup({ settlingMs: 500 });
    model.setLoad('20');
    send('S\r\n');
    expect(send('I4\r\n')).toEqual(['I4 A "1234567"\r\n']);
    clock.now += 1000;
    sent.length = 0;
    speaker.tick();
    expect(sent).toEqual([]);
  });
});

describe('mt-sics speaker: SIR streaming', () => {
  it('streams SI lines every interval until @', () => {
    const { clock, model, speaker, send, sent } = setup({}, { streamIntervalMs: 250 });
    model.setLoad('1');
    expect(send('SIR\r\n')).toEqual(['S S       1.00 kg\r\n']);
    expect(speaker.streamIntervalMs).toBe(250);
    model.setLoad('2');
    clock.now += 250;
    speaker.tick();
    expect(sent.at(-1)).toBe('S S       2.00 kg\r\n');
    expect(send('@\r\n')).toEqual(['I4 A "1234567"\r\n']);
    expect(speaker.streamIntervalMs).toBe(0);
  });

  it('streams every 100 ms by default and stops on any other command', () => {
    const { speaker, send } = setup();
    send('SIR\r\n');
    expect(speaker.streamIntervalMs).toBe(100);
    expect(send('Z\r\n')).toEqual(['Z A\r\n']);
    expect(speaker.streamIntervalMs).toBe(0);
  });

  it('streams overload as S +', () => {
    const { model, speaker, send, sent } = setup();
    model.setLoad('40');
    send('SIR\r\n');
    speaker.tick();
    expect(sent).toEqual(['S +\r\n', 'S +\r\n']);
  });
});

describe('mt-sics speaker: zero and tare', () => {
  it('zeroes within the zero-setting range and refuses outside it', () => {
    const { model, send } = setup();
    model.configure({ zeroOffset: '0.2' });
    model.setLoad('0');
    expect(send('Z\r\n')).toEqual(['Z A\r\n']);
    expect(model.indication().net).toBe('0.00');
    model.setLoad('1');
    expect(send('Z\r\n')).toEqual(['Z +\r\n']);
    model.setLoad('0');
    model.configure({ zeroOffset: '-1' });
    model.setLoad('0');
    expect(send('ZI\r\n')).toEqual(['ZI -\r\n']);
  });

  it('answers ZI with S or D after the stability at that moment', () => {
    const { model, send } = setup({ settlingMs: 1000 });
    expect(send('ZI\r\n')).toEqual(['ZI S\r\n']);
    model.setLoad('0.1');
    expect(send('ZI\r\n')).toEqual(['ZI D\r\n']);
  });

  it('holds Z and T until stable and answers I after the stability timeout', () => {
    const { clock, model, speaker, send, sent } = setup({ settlingMs: 800 }, { stabilityTimeoutMs: 500 });
    model.setLoad('5');
    send('T\r\n');
    clock.now += 500;
    speaker.tick();
    expect(sent).toEqual(['T I\r\n']);
    clock.now += 300;
    expect(send('T\r\n')).toEqual(['T S       5.00 kg\r\n']);
    model.setLoad('5.1');
    send('Z\r\n');
    clock.now += 500;
    speaker.tick();
    expect(sent).toEqual(['Z I\r\n']);
  });

  it('tares, reports, presets and clears the tare', () => {
    const { model, send } = setup();
    model.setLoad('5');
    expect(send('T\r\n')).toEqual(['T S       5.00 kg\r\n']);
    expect(send('SI\r\n')).toEqual(['S S       0.00 kg\r\n']);
    expect(send('TA\r\n')).toEqual(['TA A 5.00 kg\r\n']);
    expect(send('TA 1.5 kg\r\n')).toEqual(['TA A 1.50 kg\r\n']);
    expect(send('SI\r\n')).toEqual(['S S       3.50 kg\r\n']);
    expect(send('TI\r\n')).toEqual(['TI S       5.00 kg\r\n']);
    expect(send('TAC\r\n')).toEqual(['TAC A\r\n']);
    expect(send('TA\r\n')).toEqual(['TA A 0.00 kg\r\n']);
  });

  it('answers TA L to a preset it cannot take', () => {
    const { send } = setup();
    expect(send('TA 31 kg\r\n')).toEqual(['TA L\r\n']);
    expect(send('TA -1 kg\r\n')).toEqual(['TA L\r\n']);
    expect(send('TA 1 g\r\n')).toEqual(['TA L\r\n']);
    expect(send('TA 1,5 kg\r\n')).toEqual(['TA L\r\n']);
    expect(send('TA 1\r\n')).toEqual(['TA L\r\n']);
  });

  it('refuses to tare a negative gross with T -', () => {
    const { model, send } = setup();
    model.configure({ zeroOffset: '-0.1' });
    model.setLoad('0');
    expect(send('TI\r\n')).toEqual(['TI -\r\n']);
  });
});

describe('mt-sics speaker: identification', () => {
  it('answers I1 to I4 and @ from the model identity', () => {
    const { send } = setup();
    expect(send('I1\r\n')[0]).toMatch(/^I1 A "01"( "[^"]*")+\r\n$/);
    expect(send('I2\r\n')).toEqual(['I2 A "XS204 30 kg"\r\n']);
    expect(send('I3\r\n')).toEqual(['I3 A "2.1.0"\r\n']);
    expect(send('I4\r\n')).toEqual(['I4 A "1234567"\r\n']);
    expect(send('@\r\n')).toEqual(['I4 A "1234567"\r\n']);
  });

  it('answers ES to commands configured as not implemented and <id> I to busy ones', () => {
    const { send } = setup({}, { unsupportedCommands: ['I2', 'I3'], busyCommands: ['@', 'I4', 'TAC'] });
    expect(send('I2\r\n')).toEqual(['ES\r\n']);
    expect(send('I3\r\n')).toEqual(['ES\r\n']);
    expect(send('I4\r\n')).toEqual(['I4 I\r\n']);
    expect(send('@\r\n')).toEqual(['I4 I\r\n']);
    expect(send('TAC\r\n')).toEqual(['TAC I\r\n']);
  });

  it('refuses options of the wrong type', () => {
    expect(() => setup({}, { streamIntervalMs: 'fast' })).toThrow();
    expect(() => setup({}, { unsupportedCommands: 'I2' })).toThrow();
  });
});

describe('mt-sics speaker: input handling', () => {
  it('parses commands split across chunks, byte by byte', () => {
    const { model, speaker, sent } = setup();
    model.setLoad('7');
    for (const byte of Buffer.from('SI\r\nI4\r\n', 'latin1')) speaker.receive(Buffer.from([byte]));
    expect(sent).toEqual(['S S       7.00 kg\r\n', 'I4 A "1234567"\r\n']);
  });

  it('takes several commands in one chunk and a bare LF as terminator', () => {
    const { send } = setup();
    expect(send('Z\r\nTAC\nI4\r\n')).toEqual(['Z A\r\n', 'TAC A\r\n', 'I4 A "1234567"\r\n']);
  });

  it('answers nothing until the line is complete', () => {
    const { send } = setup();
    expect(send('SI\r')).toEqual([]);
    expect(send('\n')).toEqual(['S S       0.00 kg\r\n']);
  });

  it('answers ET to a NUL or a byte above 0x7F (parity or framing error)', () => {
    const { send } = setup();
    expect(send('S\x00\r\n')).toEqual(['ET\r\n']);
    expect(send('S\xd3\r\n')).toEqual(['ET\r\n']);
  });

  it('answers ET to an over-long line and recovers', () => {
    const { send } = setup();
    expect(send('X'.repeat(200))).toEqual(['ET\r\n']);
    expect(send('\r\nI4\r\n')).toContain('I4 A "1234567"\r\n');
  });

  it('answers ES to unknown, lower-case or empty commands', () => {
    const { send } = setup();
    expect(send('XYZ\r\n')).toEqual(['ES\r\n']);
    expect(send('si\r\n')).toEqual(['ES\r\n']);
    expect(send('\r\n')).toEqual(['ES\r\n']);
    expect(send('S\tI\r\n')).toEqual(['ES\r\n']);
  });

  it('answers EL to a parameter given to a command that takes none', () => {
    const { send } = setup();
    expect(send('SI 1\r\n')).toEqual(['EL\r\n']);
    expect(send('Z now\r\n')).toEqual(['EL\r\n']);
  });
});
