/**
 * The DART bus simulator against the reference: it must send the golden frames byte for byte from
 * the state they describe, and follow the level 2 rules (pending block until ACK, NAK on a bad CRC,
 * repeated TX# not executed twice) and level 3 replies. The controller side of these exchanges is
 * built with the driver's encoder, whose frames are themselves checked against the golden files.
 */
import { describe, expect, it } from 'vitest';
import {
  CD1,
  createDartFramer,
  decodeDartFrame,
  decodeLineFrame,
  encodeCd1,
  encodeCd5Prices,
  encodeCd101,
  encodeControlFrame,
  encodeDataFrame,
  encodePoll,
} from '../../drivers/dispenser-dart/protocol.js';
import { FrameChannel } from '../../drivers/transport/frame-channel.js';
import { SerialLink } from '../../drivers/transport/serial-link.js';
import { useCleanup } from '../../test/helpers/cleanup.js';
import { loadGoldenCases, parseHex } from '../../test/helpers/testcases.js';
import type { FrameMeta } from '../faults.js';
import { DART_LINE, DartBusSpeaker, type DartSpeakerOptions, startDartBus } from './dart.js';
import { startDispenserSimulator } from './index.js';
import { DispenserModel, type DispenserModelParams } from './model.js';

const golden = new Map(loadGoldenCases('dispenser-dart').map((c) => [c.name, c.frame.toString('hex')]));
const goldenFrame = (name: string) => {
  const frame = golden.get(name);
  if (!frame) throw new Error(`golden case ${name} is missing`);
  return frame;
};

function bus(pumps: Record<number, Partial<DispenserModelParams>>, options: DartSpeakerOptions = {}) {
  const clock = { now: 1_000_000 };
  const models = new Map<number, DispenserModel>();
  for (const [address, params] of Object.entries(pumps)) {
    models.set(Number(address), new DispenserModel(params, () => clock.now));
  }
  const sent: { frame: Buffer; meta: FrameMeta | undefined }[] = [];
  const speaker = new DartBusSpeaker(
    models,
    { emit: (frame, meta) => sent.push({ frame: Buffer.from(frame), meta }), now: () => clock.now },
    options,
  );
  /** Sends frames to the bus and returns what the pumps answered, as hex. */
  const send = (...frames: Buffer[]): string[] => {
    sent.length = 0;
    for (const frame of frames) speaker.receive(frame);
    return sent.map((s) => s.frame.toString('hex'));
  };
  const model = (address: number) => models.get(address)!;
  return { clock, models, model, speaker, sent, send };
}

const hex = (text: string) => parseHex(text).toString('hex');
const poll = (a: number) => encodePoll(a);
const ack = (a: number, seq: number) => encodeControlFrame(a, 'ACK', seq);
const data = (a: number, seq: number, ...transactions: Buffer[]) =>
  encodeDataFrame(a, seq, Buffer.concat(transactions));

/** Decodes what a pump sent: its transactions (default decimals of the model: 2/2/2). */
function pumpSaid(frameHex: string, decimals = { volume: 2, amount: 2, unitPrice: 2 }) {
  const result = decodeDartFrame(Buffer.from(frameHex, 'hex'), { decimals });
  if (!result.ok) throw new Error(result.reason);
  return result.value;
}

describe('dart simulator: golden frames byte for byte', () => {
  it('a fresh pump with nothing to say answers POLL with EOT 50 70 FA', () => {
    const b = bus({ 80: {} });
    expect(b.send(poll(0x50))).toEqual([goldenFrame('eot-0x50')]);
  });

  it('acknowledges the controller block TX# 1 with 50 C1 FA', () => {
    const b = bus({ 80: {} });
    expect(b.send(parseHex('50 31 01 01 06 1E A2 03 FA'))).toEqual([goldenFrame('ack-0x50-tx1')]);
  });

  it('sends the captured filling reply DC1 DC3 DC2 DC3 from a pump filling 4.28 L at 8.123', () => {
    const b = bus({
      81: {
        decimals: { volume: 2, amount: 2, unitPrice: 3 },
        nozzles: [{ nozzle: 1, grade: '92#', unitPrice: '8.123' }],
      },
    });
    // The controller's CD1 RETURN STATUS of the reference (TX# 5); the pump's first block is TX# 0.
    expect(b.send(parseHex('51 35 01 01 00 A2 50 03 FA'))).toEqual([hex('51 C5 FA')]);
    const first = b.send(poll(0x51));
    expect(pumpSaid(first[0]!)).toMatchObject({ seq: 0, transactions: [{ type: 'DC1', status: 'reset' }] });
    b.send(ack(0x51, 0));
    const m = b.model(0x51);
    expect(m.authorize()).toBe('ok');
    expect(m.liftNozzle(1)).toBe('ok');
    expect(m.setFlow('50')).toBe('ok');
    // 4.28 L at 50 L/min take 5.136 s.
    b.clock.now += 5136;
    expect(b.send(poll(0x51))).toEqual([goldenFrame('dc1-dc3-dc2-dc3-filling-0x51')]);
  });

  it('escapes a CRC byte 0xFA: DC1 reset from 0x5B in its block TX# 1', () => {
    const b = bus({ 91: {} });
    b.send(data(0x5b, 0, encodeCd1(CD1.returnStatus)), poll(0x5b), ack(0x5b, 0));
    b.send(data(0x5b, 1, encodeCd1(CD1.returnStatus)));
    expect(b.send(poll(0x5b))).toEqual([goldenFrame('computed-dc1-crc-low-byte-0xfa-escaped')]);
  });

  it('sends DC101 and DC9 as computed from the layout', () => {
    const b = bus({ 80: {} });
    b.send(data(0x50, 0, encodeCd1(CD1.returnStatus)), poll(0x50), ack(0x50, 0));
    b.send(data(0x50, 1, encodeCd101(0x01)));
    expect(b.send(poll(0x50))).toEqual([goldenFrame('computed-dc101-volume-total-nozzle-1')]);
    const c = bus({ 80: {} });
    c.send(data(0x50, 0, encodeCd1(CD1.returnStatus)), poll(0x50), ack(0x50, 0));
    c.send(data(0x50, 1, encodeCd1(CD1.returnIdentity)));
    expect(c.send(poll(0x50))).toEqual([goldenFrame('computed-dc9-identity')]);
  });
});

describe('dart simulator: level 2', () => {
  it('keeps its block until the controller ACKs its TX#, then moves to the next TX#', () => {
    const b = bus({ 80: {} });
    expect(b.send(data(0x50, 0, encodeCd1(CD1.returnStatus)))).toEqual([hex('50 C0 FA')]);
    const [block] = b.send(poll(0x50));
    expect(b.send(poll(0x50))).toEqual([block]);
    expect(b.send(encodeControlFrame(0x50, 'NAK', 0))).toEqual([block]);
    // An ACK for another TX# does not release it.
    expect(b.send(ack(0x50, 5), poll(0x50))).toEqual([block]);
    expect(b.send(ack(0x50, 0), poll(0x50))).toEqual([hex('50 71 FA')]);
  });

  it('answers ACKPOLL with the next block or EOT', () => {
    const b = bus({ 80: {} });
    b.send(data(0x50, 0, encodeCd1(CD1.returnStatus), encodeCd1(CD1.returnIdentity)));
    const [first] = b.send(poll(0x50));
    expect(pumpSaid(first!).transactions?.map((t) => t.type)).toEqual(['DC1', 'DC9']);
    expect(b.send(encodeControlFrame(0x50, 'ACKPOLL', 0))).toEqual([hex('50 71 FA')]);
  });

  it('NAKs a block with a bad CRC, with its TX#, and does not execute it', () => {
    const b = bus({ 80: {} });
    const frame = data(0x50, 3, encodeCd1(CD1.authorize));
    frame[frame.length - 4] = frame[frame.length - 4]! ^ 0x01;
    expect(b.send(frame)).toEqual([hex('50 53 FA')]);
    expect(b.model(0x50).snapshot().state).toBe('reset');
  });

  it('acknowledges a repeated TX# without executing it again; TX# 0 is a restart, always new', () => {
    const b = bus({ 80: {} });
    const status = data(0x50, 4, encodeCd1(CD1.returnStatus));
    expect(b.send(status, status)).toEqual([hex('50 C4 FA'), hex('50 C4 FA')]);
    expect(pumpSaid(b.send(poll(0x50))[0]!).transactions).toHaveLength(1);
    b.send(ack(0x50, 0));
    const restart = data(0x50, 0, encodeCd1(CD1.returnStatus));
    b.send(restart, restart);
    expect(pumpSaid(b.send(poll(0x50))[0]!).transactions).toHaveLength(2);
  });

  it('numbers its blocks 0, 1 … F, then 1 again', () => {
    const b = bus({ 80: {} });
    const seqs: number[] = [];
    let ours = 1;
    for (let i = 0; i < 17; i++) {
      b.send(data(0x50, ours, encodeCd1(CD1.returnStatus)));
      ours = ours === 15 ? 1 : ours + 1;
      const seq = pumpSaid(b.send(poll(0x50))[0]!).seq;
      seqs.push(seq);
      b.send(ack(0x50, seq));
    }
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1]);
  });

  it('answers only its own address; an address without a pump is silent', () => {
    const b = bus({ 80: {}, 82: {} });
    expect(b.send(poll(0x51), data(0x51, 1, encodeCd1(CD1.returnStatus)))).toEqual([]);
    expect(b.send(poll(0x52), poll(0x50))).toEqual([hex('52 70 FA'), hex('50 70 FA')]);
  });

  it('survives noise and frames split anywhere', () => {
    const b = bus({ 80: {} });
    const stream = Buffer.concat([
      parseHex('00 FF 13'),
      data(0x50, 1, encodeCd1(CD1.returnStatus)),
      poll(0x50),
    ]);
    b.sent.length = 0;
    for (const byte of stream) b.speaker.receive(Buffer.from([byte]));
    expect(b.sent.map((s) => s.frame.toString('hex'))[0]).toBe(hex('50 C1 FA'));
    expect(pumpSaid(b.sent[1]!.frame.toString('hex')).transactions).toEqual([
      { type: 'DC1', statusCode: 1, status: 'reset' },
    ]);
  });

  it('NAKs the next n good blocks in a NAK storm, then takes them', () => {
    const b = bus({ 80: {}, 81: {} }, { nakStorm: 2 });
    const reset = data(0x50, 1, encodeCd1(CD1.reset));
    expect(b.send(reset, reset, reset)).toEqual([hex('50 51 FA'), hex('50 51 FA'), hex('50 C1 FA')]);
    b.speaker.nakStorm(1, 0x51);
    expect(b.send(data(0x51, 1, encodeCd1(CD1.reset)), data(0x50, 2, encodeCd1(CD1.reset)))).toEqual([
      hex('51 51 FA'),
      hex('50 C2 FA'),
    ]);
  });

  it('offers a CRC corrupter for the bad-checksum fault that keeps the frame well formed', () => {
    const b = bus({ 80: {} });
    b.send(data(0x50, 1, encodeCd1(CD1.returnStatus)));
    b.send(poll(0x50));
    const { frame, meta } = b.sent[0]!;
    expect(decodeLineFrame(frame).ok).toBe(true);
    const corrupted = meta!.corruptChecksum!(frame);
    expect(decodeLineFrame(corrupted)).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_CHECKSUM' });
  });
});

describe('dart simulator: level 3', () => {
  it('reports pump parameters in the 50-byte DC7 by default and the short one on request', () => {
    for (const dc7Length of [50, 22] as const) {
      const b = bus(
        { 80: { decimals: { volume: 3, amount: 2, unitPrice: 3 }, maxAmount: '999.5' } },
        { dc7Length },
      );
      b.send(data(0x50, 1, encodeCd1(CD1.returnParameters)));
      const said = pumpSaid(b.send(poll(0x50))[0]!);
      expect(said.transactions).toEqual([
        {
          type: 'DC7',
          decimals: { volume: 3, amount: 2, unitPrice: 3 },
          maxAmount: '999.50',
          grades: [1, 2, ...new Array(13).fill(0)],
        },
      ]);
    }
  });

  it('carries out RESET, AUTHORIZE and STOP on the model and reports each change unasked', () => {
    const b = bus({ 80: {} });
    const m = b.model(0x50);
    m.liftNozzle(2);
    m.hangNozzle();
    b.send(data(0x50, 1, encodeCd1(CD1.authorize)));
    expect(m.snapshot().state).toBe('authorized');
    const said = pumpSaid(b.send(poll(0x50))[0]!);
    expect(said.transactions?.[0]).toEqual({ type: 'DC1', statusCode: 2, status: 'authorized' });
    b.send(ack(0x50, said.seq));
    m.liftNozzle(1);
    m.setFlow('40');
    b.clock.now += 3000;
    const filling = pumpSaid(b.send(poll(0x50))[0]!);
    expect(filling.transactions).toEqual([
      { type: 'DC1', statusCode: 4, status: 'filling' },
      { type: 'DC3', unitPrice: '7.89', nozzle: 1, nozzleOut: true },
      { type: 'DC2', volume: '2.00', amount: '15.78' },
      { type: 'DC3', unitPrice: '7.89', nozzle: 1, nozzleOut: true },
    ]);
    b.send(ack(0x50, filling.seq), data(0x50, 2, encodeCd1(CD1.stop)));
    expect(m.snapshot().state).toBe('completed');
    // AUTHORIZE is refused outside RESET; RESET then AUTHORIZE works.
    b.send(data(0x50, 3, encodeCd1(CD1.authorize)));
    expect(m.snapshot().state).toBe('completed');
    b.send(data(0x50, 4, encodeCd1(CD1.reset)), data(0x50, 5, encodeCd1(CD1.authorize)));
    expect(m.snapshot().state).toBe('filling');
  });

  it('answers RETURN FILLING INFORMATION with DC2 and DC3', () => {
    const b = bus({ 80: {} });
    b.send(data(0x50, 1, encodeCd1(CD1.returnFillingInformation)));
    expect(pumpSaid(b.send(poll(0x50))[0]!).transactions).toEqual([
      { type: 'DC2', volume: '0.00', amount: '0.00' },
      { type: 'DC3', unitPrice: '7.89', nozzle: 0, nozzleOut: false },
    ]);
  });

  it('sets unit prices from CD5 with the pump DPUNP', () => {
    const b = bus({ 80: {} });
    b.send(data(0x50, 1, encodeCd5Prices(['7.99', '8.55'], 2)));
    const spec = b.model(0x50).parameters.nozzles;
    expect(spec.map((n) => n.unitPrice)).toEqual(['7.99', '8.55']);
  });

  it('reports totals per counter and nothing for a nozzle it does not have', () => {
    const b = bus({ 80: {} });
    b.send(data(0x50, 1, encodeCd101(0x12), encodeCd101(0x03)));
    const said = pumpSaid(b.send(poll(0x50))[0]!);
    expect(said.transactions).toEqual([
      {
        type: 'DC101',
        counter: 0x12,
        nozzle: 2,
        quantity: 'amount',
        total: '550283.96',
        meter1: '550283.96',
        meter2: '0.00',
      },
    ]);
  });

  it('reports a new alarm with DC5 once', () => {
    const b = bus({ 80: {} });
    b.model(0x50).setAlarms([0x09]);
    const said = pumpSaid(b.send(poll(0x50))[0]!);
    expect(said.transactions).toEqual([{ type: 'DC5', alarmCode: 9, alarm: 'emergency-stop' }]);
    expect(b.send(ack(0x50, said.seq), poll(0x50))).toEqual([hex('50 71 FA')]);
  });
});

describe('dart simulator on a line', () => {
  const cleanup = useCleanup();

  it('serves several pumps in memory and applies faults to its frames', async () => {
    const models = new Map([
      [0x50, new DispenserModel()],
      [0x51, new DispenserModel()],
    ]);
    const server = await startDartBus(models, { protocol: 'dart', transport: 'memory' });
    cleanup(() => server.close());
    if (server.endpoint.kind !== 'memory') throw new Error('memory endpoint expected');
    expect(server.line).toEqual(DART_LINE);
    const channel = new FrameChannel(server.endpoint.link, createDartFramer());
    await channel.open();
    cleanup(() => channel.close());
    const ask = (frame: Buffer) =>
      channel.request(frame, { timeoutMs: 200 }).then((f) => f.bytes.toString('hex'));
    expect(await ask(poll(0x51))).toBe(hex('51 70 FA'));
    server.faults.inject({ kind: 'silence', count: 1 });
    await expect(ask(poll(0x50))).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
    await channel.request(data(0x50, 1, encodeCd1(CD1.returnStatus)), { timeoutMs: 200 });
    server.faults.inject({ kind: 'bad-checksum', count: 1 });
    const reply = await channel.request(poll(0x50), { timeoutMs: 200 });
    expect(decodeLineFrame(reply.bytes)).toMatchObject({ ok: false, code: 'MG_ERR_FRAME_CHECKSUM' });
    // The block is still pending; asked again, it comes intact.
    expect(decodeLineFrame(Buffer.from(await ask(poll(0x50)), 'hex')).ok).toBe(true);
    server.nakStorm(1, 0x51);
    expect(await ask(data(0x51, 1, encodeCd1(CD1.reset)))).toBe(hex('51 51 FA'));
  });

  it('answers over a pty at 9600 8O1 and not to a controller at the wrong baud rate', async () => {
    const sim = await startDispenserSimulator({ protocol: 'dart', transport: 'pty' });
    cleanup(() => sim.close());
    if (sim.endpoint.kind !== 'serial') throw new Error('serial endpoint expected');
    expect(sim.line).toEqual({ baudRate: 9600, dataBits: 8, parity: 'odd', stopBits: 1 });
    for (const [baudRate, answers] of [
      [9600, true],
      [19200, false],
    ] as const) {
      const link = new SerialLink({ path: sim.endpoint.path, ...DART_LINE, baudRate }, { reconnect: false });
      const channel = new FrameChannel(link, createDartFramer());
      await channel.open();
      // The line emulator re-reads the controller's settings when its copy is 40 ms old.
      await new Promise((resolve) => setTimeout(resolve, 60));
      try {
        const reply = channel.request(poll(0x50), { timeoutMs: 300 });
        if (answers) expect((await reply).bytes.toString('hex')).toBe(hex('50 70 FA'));
        else await expect(reply).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
      } finally {
        await channel.close();
      }
    }
  });

  it('refuses transports that are not a serial line and addresses outside 0x50–0x6F', async () => {
    await expect(
      startDartBus(new Map([[0x50, new DispenserModel()]]), { protocol: 'dart', transport: 'tcp' }),
    ).rejects.toThrow(/not a serial line/);
    await expect(
      startDartBus(new Map([[0x20, new DispenserModel()]]), { protocol: 'dart', transport: 'memory' }),
    ).rejects.toThrow(/0x50/);
  });
});
