import { describe, expect, it } from 'vitest';
import type { DeviceSpeaker } from '../../serial-host.js';
import { ScaleModel, type ScaleModelParams } from '../model.js';
import { adProtocol } from './ad.js';

/** A speaker on a scale whose clock the test moves; returns what it sent as text lines. */
function setup(options: Record<string, unknown> = {}, params: Partial<ScaleModelParams> = {}) {
  let now = 1_000_000;
  const model = new ScaleModel(
    { max: '30', e: '0.01', d: '0.01', unit: 'kg', settlingMs: 0, ...params },
    () => now,
  );
  const sent: Buffer[] = [];
  const speaker: DeviceSpeaker = adProtocol.createSpeaker(
    model,
    { emit: (frame) => sent.push(Buffer.from(frame)), now: () => now },
    options,
  );
  const send = (text: string | Buffer) => {
    speaker.receive(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  };
  /** Lines sent since the last call. */
  const take = () => sent.splice(0).map((frame) => frame.toString('latin1'));
  const advance = (ms: number) => {
    now += ms;
  };
  return { model, speaker, send, take, advance };
}

describe('A&D simulator speaker', () => {
  it('defaults to 2400 7E1', () => {
    expect(adProtocol.defaultLine).toEqual({ baudRate: 2400, dataBits: 7, parity: 'even', stopBits: 1 });
  });

  it('answers Q and SI with the standard format', () => {
    const { model, send, take } = setup();
    model.setLoad('12.345');
    send('Q\r\n');
    send('SI\r\n');
    expect(take()).toEqual(['ST,+00012.35 kg\r\n', 'ST,+00012.35 kg\r\n']);
  });

  it('takes commands split across chunks and ended by CR, LF or CR LF', () => {
    const { model, send, take } = setup();
    model.setLoad('1');
    for (const byte of Buffer.from('Q\r\nQ\rQ\n')) send(Buffer.from([byte]));
    expect(take()).toEqual(['ST,+00001.00 kg\r\n', 'ST,+00001.00 kg\r\n', 'ST,+00001.00 kg\r\n']);
    send('?');
    send('T');
    expect(take()).toEqual([]);
    send('N\r');
    send('\n');
    expect(take()).toEqual(['TN,SIM-15K\r\n']);
  });

  it('sends US while the load settles, a negative weight with its sign, and zero as +', () => {
    const { model, send, take, advance } = setup({}, { settlingMs: 500, zeroOffset: '0' });
    model.setLoad('3');
    send('Q\r\n');
    expect(take()[0]).toMatch(/^US,/);
    advance(600);
    send('Q\r\n');
    expect(take()).toEqual(['ST,+00003.00 kg\r\n']);
    model.configure({ zeroOffset: '-0.05' });
    model.setLoad('0');
    advance(600);
    send('Q\r\n');
    expect(take()).toEqual(['ST,-00000.05 kg\r\n']);
    model.configure({ zeroOffset: '0' });
    advance(600);
    send('Q\r\n');
    expect(take()).toEqual(['ST,+00000.00 kg\r\n']);
  });

  it('sends OL,+9… above capacity and OL,-9… below, keeping the decimal point', () => {
    const { model, send, take } = setup();
    model.setLoad('31');
    send('Q\r\n');
    model.setLoad('-1');
    send('Q\r\n');
    expect(take()).toEqual(['OL,+99999.99 kg\r\n', 'OL,-99999.99 kg\r\n']);
  });

  it('sends QT for a stable count in PC', () => {
    const { model, send, take } = setup({ unitWidth: 2 }, { max: '99999', e: '1', d: '1', unit: 'PC' });
    model.setLoad('12345');
    send('Q\r\n');
    expect(take()).toEqual(['QT,+00012345PC\r\n']);
  });

  it('speaks the indicator format: GS, then NT once a tare is active', () => {
    const { model, send, take } = setup({ format: 'indicator' });
    model.setLoad('2');
    send('Q\r\n');
    send('T\r\n');
    model.setLoad('2.5');
    send('Q\r\n');
    send('CT\r\n');
    send('Q\r\n');
    expect(take()).toEqual(['ST,GS,+0002.00kg\r\n', 'ST,NT,+0000.50kg\r\n', 'ST,GS,+0002.50kg\r\n']);
  });

  it('zeroes, tares and clears the tare silently unless acknowledgement is on', () => {
    const { model, send, take } = setup();
    model.setLoad('5');
    send('T\r\n');
    expect(model.indication().tare).toBe('5.00');
    send('CT\r\n');
    expect(model.indication().tare).toBe('0.00');
    model.configure({ zeroOffset: '0.2' });
    model.setLoad('0');
    send('R\r\n');
    expect(model.indication().net).toBe('0.00');
    send('TR\r\n');
    send('Z\r\n');
    expect(take()).toEqual([]);
  });

  it('acknowledges control commands with <AK> CR LF once, or twice for zero and tare', () => {
    const once = setup({ acknowledge: 'receipt' });
    once.send('T\r\nCT\r\nC\r\n');
    expect(once.take()).toEqual(['\x06\r\n', '\x06\r\n', '\x06\r\n']);
    const twice = setup({ acknowledge: 'receipt-and-completion' });
    twice.send('Z\r\nCT\r\n');
    expect(twice.take()).toEqual(['\x06\r\n', '\x06\r\n', '\x06\r\n']);
  });

  it('answers zero or tare while unstable with EC,E11 and out of range with EC,E02', () => {
    const { model, send, take, advance } = setup(
      { acknowledge: 'receipt-and-completion' },
      { settlingMs: 500 },
    );
    model.setLoad('5');
    send('T\r\n');
    expect(take()).toEqual(['\x06\r\n', 'EC,E11\r\n']);
    expect(model.indication().tare).toBe('0.00');
    advance(600);
    send('Z\r\n');
    expect(take()).toEqual(['\x06\r\n', 'EC,E02\r\n']);
  });

  it('answers unknown commands with EC,E01, garbled ones with the configured code, overlong with EC,E04', () => {
    const { send, take } = setup();
    send('XYZ\r\nq\r\n');
    send(Buffer.from([0x51, 0x00, 0x0d, 0x0a]));
    send(Buffer.from([0xd1, 0x0d, 0x0a]));
    expect(take()).toEqual(['EC,E01\r\n', 'EC,E01\r\n', 'EC,E01\r\n', 'EC,E01\r\n']);
    send(`${'Q'.repeat(40)}\r\nQ\r\n`);
    const lines = take();
    expect(lines[0]).toBe('EC,E04\r\n');
    expect(lines.slice(1)).toEqual(['ST,+00000.00 kg\r\n']);
    const e00 = setup({ garbledCommandError: '00' });
    e00.send(Buffer.from([0x00, 0x0a]));
    expect(e00.take()).toEqual(['EC,E00\r\n']);
  });

  it('answers the identity queries from the model and the idNumber option', () => {
    const { send, take } = setup({ idNumber: 'BENCH-7' });
    send('?ID\r\n?SN\r\n?TN\r\n');
    expect(take()).toEqual(['ID,BENCH-7\r\n', 'SN,0123456789\r\n', 'TN,SIM-15K\r\n']);
  });

  it('holds S until the weight is stable, and C cancels it', () => {
    const { model, speaker, send, take, advance } = setup({}, { settlingMs: 500 });
    model.setLoad('4');
    send('S\r\n');
    expect(take()).toEqual([]);
    expect(speaker.streamIntervalMs).toBeGreaterThan(0);
    speaker.tick();
    expect(take()).toEqual([]);
    advance(600);
    speaker.tick();
    expect(take()).toEqual(['ST,+00004.00 kg\r\n']);
    expect(speaker.streamIntervalMs).toBe(0);
    model.setLoad('5');
    send('S\r\nC\r\n');
    advance(600);
    speaker.tick();
    expect(take()).toEqual([]);
    expect(speaker.streamIntervalMs).toBe(0);
  });

  it('streams after SIR until C, and from the start in stream mode', () => {
    const { model, speaker, send, take } = setup({ streamIntervalMs: 50 });
    model.setLoad('1');
    expect(speaker.streamIntervalMs).toBe(0);
    send('SIR\r\n');
    expect(speaker.streamIntervalMs).toBe(50);
    speaker.tick();
    expect(take()).toEqual(['ST,+00001.00 kg\r\n', 'ST,+00001.00 kg\r\n']);
    send('C\r\n');
    expect(speaker.streamIntervalMs).toBe(0);
    const streaming = setup({ mode: 'stream' });
    streaming.model.setLoad('2');
    expect(streaming.speaker.streamIntervalMs).toBe(100);
    streaming.speaker.tick();
    streaming.send('C\r\n');
    streaming.speaker.tick();
    expect(streaming.take()).toEqual(['ST,+00002.00 kg\r\n', 'ST,+00002.00 kg\r\n']);
  });

  it('accepts options as the CLI passes them (-o key=value turns digits into numbers)', () => {
    const { send, take } = setup({
      idNumber: 1234,
      garbledCommandError: 0,
      unitWidth: 2,
      streamIntervalMs: 50,
    });
    send('?ID\r\n');
    send(Buffer.from([0x00, 0x0a]));
    expect(take()).toEqual(['ID,1234\r\n', 'EC,E00\r\n']);
  });

  it('refuses invalid option values', () => {
    const model = new ScaleModel();
    const io = { emit: () => undefined, now: () => 0 };
    expect(() => adProtocol.createSpeaker(model, io, { format: 'dp' })).toThrow();
    expect(() => adProtocol.createSpeaker(model, io, { acknowledge: true })).toThrow();
    expect(() => adProtocol.createSpeaker(model, io, { garbledCommandError: 'E1' })).toThrow();
  });
});
