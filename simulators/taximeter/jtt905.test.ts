/**
 * The simulated meter's JT/T 905 side: it must produce the driver's golden frames byte for byte
 * (they come from the reference and were checked by hand), answer what the ISU asks, and resend a
 * record nobody acknowledged. Frames are read back here with a few lines written for the test, not
 * with the driver's decoder.
 */
import { describe, expect, it } from 'vitest';
import { loadGoldenCases } from '../../test/helpers/testcases.js';
import { Jtt905MeterSpeaker, jtt905Frame, tripRecordBody } from './jtt905.js';
import { TaximeterModel } from './model.js';
import { runScenario, type Scenario } from './scenario.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Command and body of a frame, after checking marks, length and XOR the long way round. */
function open(frame: Buffer): { deviceType: number; command: number; body: Buffer } {
  expect(frame.subarray(0, 2).toString('hex')).toBe('55aa');
  expect(frame.subarray(-2).toString('hex')).toBe('55aa');
  expect(frame.readUInt16BE(2)).toBe(frame.length - 7);
  let check = 0;
  for (let i = 2; i < frame.length - 3; i++) check ^= frame[i]!;
  expect(frame[frame.length - 3]).toBe(check);
  return { deviceType: frame[4]!, command: frame.readUInt16BE(6), body: frame.subarray(8, -3) };
}

const STATUS_QUERY = '55aa000b02000000201111111111112955aa';
const RESEND_NEWEST = '55aa0008020000f200000000f855aa';
const ACK_RECORD = '55aa0005020000e8907f55aa';
const ACK_RESEND = jtt905Frame(2, 0x00f2, Buffer.from([0x90])).toString('hex');

const TRIP: Scenario = {
  params: { clock: '2024-02-29T23:58:00', k: '1000', tariff: { timeRate: '30', distanceRate: '2' } },
  actions: [{ startTrip: true }, { drive: { speed: 30, duration: 240 } }, { stopTrip: true }],
};

describe('jtt905 speaker: golden frames', () => {
  const cases = loadGoldenCases('taximeter-jtt905').filter((c) => c.simulate);

  it('has simulated golden cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(6);
  });

  for (const testCase of cases) {
    it(`reproduces ${testCase.name}`, () => {
      const run = runScenario(testCase.simulate as unknown as Scenario);
      const last = run.framesByAction.at(-1) ?? [];
      expect(last[0]?.toString('hex')).toBe(testCase.frame.toString('hex'));
    });
  }
});

describe('jtt905 speaker: what the meter says', () => {
  it('answers a status query with the 55-byte status, whatever the chunking of the query', () => {
    const frames: Buffer[] = [];
    const speaker = new Jtt905MeterSpeaker(new TaximeterModel({ tripCounter: 7 }), {
      emit: (frame) => frames.push(frame),
      now: () => 0,
    });
    // Noise with false starts before, and the query split into single bytes.
    speaker.receive(hex('00 55 13 55 55 aa ff'));
    for (const byte of hex(STATUS_QUERY)) speaker.receive(Buffer.from([byte]));
    expect(frames).toHaveLength(1);
    const { command, body } = open(frames[0]!);
    expect(command).toBe(0x0000);
    expect(body).toHaveLength(55);
    expect(body.readUInt32BE(51)).toBe(7);
  });

  it('ignores a query with a wrong XOR or for another device type', () => {
    const badXor = runScenario({ actions: [{ requestHex: STATUS_QUERY.replace(/29(55aa)$/, '28$1') }] });
    expect(badXor.framesByAction[0]).toEqual([]);
    const led = jtt905Frame(0x04, 0x0000, hex('20111111111111')).toString('hex');
    expect(runScenario({ actions: [{ requestHex: led }] }).framesByAction[0]).toEqual([]);
  });

  it('pushes the trip start and the record, with the trip passing midnight into a leap day', () => {
    const run = runScenario(TRIP);
    const start = open(run.framesByAction[0]![0]!);
    expect(start.command).toBe(0x00e7);
    expect(start.body.toString('hex')).toBe('20240229235800');
    const record = open(run.framesByAction[2]![0]!);
    expect(record.command).toBe(0x00e8);
    // 2 km at 30 km/h in 4 min: boarding 24-02-29 23:58, alighting 00:02.
    expect(record.body.subarray(41, 48).toString('hex')).toBe('24022923580002');
    expect(record.body.subarray(48, 51).toString('hex')).toBe('000020');
    // 10.00 flag fall covers 2 km at 2.00: the fare is 10.0.
    expect(record.body.subarray(58, 61).toString('hex')).toBe('000100');
    expect(record.body.readUInt32BE(61)).toBe(1);
  });

  it('answers the resend request with the newest record, a given trip number, or nothing stored', () => {
    const run = runScenario({
      ...TRIP,
      actions: [
        ...TRIP.actions,
        ...TRIP.actions,
        { requestHex: RESEND_NEWEST },
        { requestHex: jtt905Frame(2, 0x00f2, hex('00000001')).toString('hex') },
        { requestHex: jtt905Frame(2, 0x00f2, hex('00000063')).toString('hex') },
      ],
    });
    const [newest, first, unknown] = run.framesByAction.slice(-3).map((frames) => open(frames[0]!));
    expect(newest!.command).toBe(0x00f2);
    expect(newest!.body.readUInt32BE(61)).toBe(2);
    expect(first!.body.readUInt32BE(61)).toBe(1);
    expect(unknown!.body).toHaveLength(0);
  });

  it('resends an unacknowledged record as 0x00F2 after resendAfterMs, resendAttempts times', () => {
    let now = 0;
    const run = runScenario(
      { ...TRIP, protocolOptions: { resendAfterMs: 1000, resendAttempts: 2 } },
      () => now,
    );
    const speaker = run.speaker;
    expect(speaker.streamIntervalMs).toBeGreaterThan(0);
    const frames = run.framesByAction;
    expect(open(frames[2]![0]!).command).toBe(0x00e8);
    const before = frames[2]!.length;
    now = 999;
    speaker.tick();
    expect(frames[2]!.length).toBe(before);
    now = 1000;
    speaker.tick();
    now = 2000;
    speaker.tick();
    now = 3000;
    speaker.tick();
    // Frames emitted after the scenario land in its last action's list.
    expect(frames[2]!.slice(before).map((f) => open(f).command)).toEqual([0x00f2, 0x00f2]);
    expect(speaker.undelivered).toEqual([1]);
    expect(speaker.streamIntervalMs).toBe(0);
  });

  it('stops resending once the ISU acknowledges, and counts the trip delivered', () => {
    let now = 0;
    const run = runScenario({ ...TRIP, actions: [...TRIP.actions, { requestHex: ACK_RECORD }] }, () => now);
    expect(run.speaker.undelivered).toEqual([]);
    now = 10_000;
    run.speaker.tick();
    expect(run.framesByAction.at(-1)).toEqual([]);
  });

  it('counts an acknowledged resend as delivered', () => {
    let now = 0;
    const run = runScenario({ ...TRIP, protocolOptions: { resendAfterMs: 100 } }, () => now);
    now = 100;
    run.speaker.tick();
    run.speaker.receive(hex(ACK_RESEND));
    expect(run.speaker.undelivered).toEqual([]);
  });

  it('reports its tariff and takes a new one through 0x0005 (same enable time: same version)', () => {
    const block =
      '2026070100' +
      '0230 0276 0230 0276 0230 0276 1300 1400 0000 0300 0000 2760 3312 0000 0000 2200 0600'.replace(
        / /g,
        '',
      ) +
      '00'.repeat(22);
    const set = jtt905Frame(2, 0x0005, hex(block)).toString('hex');
    const run = runScenario({ actions: [{ requestHex: set }, { requestHex: set }] });
    expect(open(run.framesByAction[0]![0]!).body.toString('hex')).toBe('002026070100');
    expect(open(run.framesByAction[1]![0]!).body.toString('hex')).toBe('022026070100');
    const tariff = run.model.parameters.tariff;
    expect(tariff).toMatchObject({
      flagFall: '13.00',
      nightFlagFall: '14.00',
      distanceRate: '2.30',
      timeRate: '27.60',
      includedDistance: '3000',
      nightStart: '22:00',
      nightEnd: '06:00',
    });
    expect(run.model.rates('night').distance.toFixed(2)).toBe('2.76');
    const short = jtt905Frame(2, 0x0005, hex('2026070100')).toString('hex');
    expect(open(runScenario({ actions: [{ requestHex: short }] }).framesByAction[0]![0]!).body[0]).toBe(0x01);
  });

  it('lets a fault corrupt the XOR of a frame and nothing else', () => {
    const frames: { frame: Buffer; corrupt?: (f: Buffer) => Buffer }[] = [];
    const speaker = new Jtt905MeterSpeaker(new TaximeterModel(), {
      emit: (frame, meta) =>
        frames.push({ frame, ...(meta?.corruptChecksum ? { corrupt: meta.corruptChecksum } : {}) }),
      now: () => 0,
    });
    speaker.receive(hex(STATUS_QUERY));
    const good = frames[0]!.frame;
    const bad = frames[0]!.corrupt!(Buffer.from(good));
    const differing = [...good].map((byte, i) => (byte !== bad[i] ? i : -1)).filter((i) => i >= 0);
    expect(differing).toEqual([good.length - 3]);
  });

  it('encodes waiting time as hh:mm and caps it at 99 hours', () => {
    const body = tripRecordBody({
      ...runScenario(TRIP).model.records[0]!,
      waitingSeconds: 3 * 3600 + 25 * 60 + 59,
    });
    expect(body.subarray(56, 58).toString('hex')).toBe('0325');
    const long = tripRecordBody({ ...runScenario(TRIP).model.records[0]!, waitingSeconds: 500 * 3600 });
    expect(long.subarray(56, 58).toString('hex')).toBe('9900');
  });
});
