/**
 * The ISU side of the JT/T 905 taximeter interface. The driver asks (status 0x0000, fare parameters
 * 0x0004/0x0005, metrogate's resend request 0x00F2) and listens: the meter pushes a trip start
 * (0x00E7) and, at the end of each trip, its record (0x00E8; 0x00F2 when it resends one). Every
 * pushed frame is acknowledged with 0x90, as the reference's ISU does, whichever call is running.
 *
 * A poll always asks for the status first: it proves the meter is there (a silent meter is
 * MG_ERR_TIMEOUT) and is cheap. The trip it reports depends on `trip` (config.ts).
 */
import { throwIfAborted } from '../abort.js';
import type {
  ChannelError,
  ChannelSpec,
  DeviceIdentity,
  DriverDeps,
  PollResult,
  Reading,
  TaximeterDriver,
  TaximeterTrip,
} from '../contract.js';
import { defaultDeviceId } from '../definition.js';
import { isMetrogateError, MetrogateError, toMetrogateError } from '../errors.js';
import { FrameChannel } from '../transport/frame-channel.js';
import type { TaximeterJtt905Config } from './config.js';
import {
  createJtt905Framer,
  decodeJtt905Frame,
  encodeAck,
  encodeFareParametersQuery,
  encodeFareParametersSet,
  encodeResendRequest,
  encodeStatusQuery,
  type FareSetResult,
  JTT905_COMMANDS,
  type Jtt905FareParameters,
  type Jtt905Message,
  type Jtt905Status,
  type Jtt905TripRecord,
} from './protocol.js';

/** Channels of the last trip, in the order a poll reports them. */
export const TRIP_CHANNELS: readonly ChannelSpec[] = [
  {
    name: 'distance',
    valueType: 'decimal',
    unit: 'm',
    description: 'Distance of the last trip (record: 0.1 km)',
  },
  {
    name: 'emptyDistance',
    valueType: 'decimal',
    unit: 'm',
    description: 'Distance driven vacant before the last trip (record: 0.1 km)',
  },
  {
    name: 'waitingTime',
    valueType: 'integer',
    unit: 's',
    description: 'Waiting (low-speed) time of the last trip (record: hh:mm)',
  },
  {
    name: 'fare',
    valueType: 'decimal',
    description: 'Fare of the last trip (record: 0.1 yuan); unit from `currency`',
  },
  { name: 'surcharge', valueType: 'decimal', description: 'Surcharge of the last trip (record: 0.1 yuan)' },
  {
    name: 'boardingTime',
    valueType: 'timestamp',
    description: 'Boarding time, meter local time YYYY-MM-DDThh:mm',
  },
  {
    name: 'alightingTime',
    valueType: 'timestamp',
    description: 'Alighting time, meter local time YYYY-MM-DDThh:mm (date inferred: the record holds hh:mm)',
  },
  { name: 'tripNumber', valueType: 'integer', description: "The meter's trip number of the last trip" },
  { name: 'paymentType', valueType: 'text', description: 'cash, m1-card, cpu-card, other (or unknown-0xNN)' },
];

/** Channels of `status: true`: the status reply. */
export const STATUS_CHANNELS: readonly ChannelSpec[] = [
  {
    name: 'deviceState',
    valueType: 'text',
    description: 'normal, count-limited, date-limited, trip-storage-full, sign-in-storage-full, fault-0xNN',
  },
  {
    name: 'workState',
    valueType: 'text',
    description: 'signed-in, signed-out, signed-in-forced, signed-out-forced (or unknown-0xNN)',
  },
];

const rate = (name: string, description: string): ChannelSpec => ({
  name,
  valueType: 'decimal',
  description,
});

/** Channels of `status: true`: the fare parameters (0x0004). */
export const FARE_PARAMETER_CHANNELS: readonly ChannelSpec[] = [
  {
    name: 'tariffEnabledAt',
    valueType: 'timestamp',
    description: 'When the tariff took effect (its version)',
  },
  rate('dayFlagFall', 'Initial hire by day (起步价)'),
  rate('nightFlagFall', 'Initial hire by night'),
  {
    name: 'includedDistance',
    valueType: 'decimal',
    unit: 'm',
    description: 'Distance in the flag fall (起程公里)',
  },
  rate('dayOneWayRate', 'Distance rate by day, one way, per km (单程单价)'),
  rate('nightOneWayRate', 'Distance rate by night, one way, per km'),
  rate('dayRoundTripRate', 'Distance rate by day, round trip, per km (往返单价)'),
  rate('nightRoundTripRate', 'Distance rate by night, round trip, per km'),
  rate('daySecondEmptyRate', 'Second empty-run rate by day (二次空贴单价)'),
  rate('nightSecondEmptyRate', 'Second empty-run rate by night'),
  {
    name: 'continuationDistance',
    valueType: 'decimal',
    unit: 'm',
    description: '续程里程数 (meaning UNCONFIRMED)',
  },
  {
    name: 'secondEmptyDistance',
    valueType: 'decimal',
    unit: 'm',
    description: 'Distance after which the second empty-run rate applies (二次空贴公里)',
  },
  rate('dayWaitingRate', 'Waiting price by day (unit of time UNCONFIRMED)'),
  rate('nightWaitingRate', 'Waiting price by night'),
  { name: 'freeWaitingTime', valueType: 'integer', unit: 's', description: 'Free waiting time' },
  { name: 'surchargeTime', valueType: 'integer', unit: 's', description: '加价时间 (meaning UNCONFIRMED)' },
  { name: 'nightStart', valueType: 'text', description: 'Night tariff start, HH:mm' },
  { name: 'nightEnd', valueType: 'text', description: 'Night tariff end, HH:mm' },
];

export const TAXIMETER_JTT905_CHANNELS: readonly ChannelSpec[] = [
  ...TRIP_CHANNELS,
  ...STATUS_CHANNELS,
  ...FARE_PARAMETER_CHANNELS,
];

type Lifecycle = 'created' | 'initialised' | 'connected' | 'closed';

/** Errors that end a poll rather than one group of its channels. */
function endsThePoll(error: unknown): boolean {
  return (
    isMetrogateError(error, 'MG_ERR_ABORTED') ||
    isMetrogateError(error, 'MG_ERR_PORT_CLOSED') ||
    isMetrogateError(error, 'MG_ERR_PORT_DISCONNECTED')
  );
}

export class TaximeterJtt905Driver implements TaximeterDriver {
  readonly kind = 'taximeter' as const;
  readonly driverId = 'taximeter-jtt905';
  readonly deviceId: string;
  private readonly config: TaximeterJtt905Config;
  private readonly deps: DriverDeps;
  private lifecycle: Lifecycle = 'created';
  private frameChannel: FrameChannel | undefined;
  private unsubscribe: (() => void) | undefined;
  /** Newest trip record heard or asked for. */
  private newest: Jtt905TripRecord | undefined;
  /** Highest trip number heard, so that an old record resent by the meter never hides a newer one. */
  private highestTrip = -1;
  /** Set by a trip start (0x00E7) until that trip's record arrives. */
  private occupiedSince: string | undefined;

  constructor(config: TaximeterJtt905Config, deps: DriverDeps) {
    this.config = config;
    this.deps = deps;
    this.deviceId = config.id ?? defaultDeviceId('taximeter-jtt905', config.port);
  }

  /** Time the meter entered "occupied" for the trip in progress, as its 0x00E7 said; else undefined. */
  get tripInProgressSince(): string | undefined {
    return this.occupiedSince;
  }

  private get channel(): FrameChannel {
    if (!this.frameChannel) {
      throw new MetrogateError('MG_ERR_NOT_CONNECTED', `${this.deviceId}: init() was not called`, {
        device: this.deviceId,
      });
    }
    return this.frameChannel;
  }

  private get where(): string {
    return this.deps.link?.description ?? this.config.port;
  }

  init(): void {
    if (this.lifecycle !== 'created') return;
    if (!this.deps.link) {
      throw new MetrogateError('MG_ERR_CONFIG_INVALID', `${this.deviceId}: a serial link is required`, {
        device: this.deviceId,
        path: 'port',
      });
    }
    this.frameChannel = new FrameChannel(this.deps.link, createJtt905Framer());
    this.unsubscribe = this.frameChannel.onFrame((frame) => this.heard(frame.bytes));
    this.lifecycle = 'initialised';
  }

  async connect(signal: AbortSignal): Promise<DeviceIdentity> {
    if (this.lifecycle === 'created') this.init();
    if (this.lifecycle === 'closed') {
      throw new MetrogateError('MG_ERR_PORT_CLOSED', `${this.deviceId}: driver already closed`, {
        device: this.deviceId,
      });
    }
    await this.channel.open(signal);
    const status = await this.ask(
      encodeStatusQuery(this.deps.now(), this.config.deviceType),
      'status',
      signal,
    );
    this.lifecycle = 'connected';
    return identityOf(status.status);
  }

  private assertConnected(): void {
    if (this.lifecycle !== 'connected') {
      throw new MetrogateError(
        this.lifecycle === 'closed' ? 'MG_ERR_PORT_CLOSED' : 'MG_ERR_NOT_CONNECTED',
        `${this.deviceId}: ${this.lifecycle === 'closed' ? 'driver closed' : 'connect() has not succeeded'}`,
        { device: this.deviceId, port: this.config.port },
      );
    }
  }

  async poll(signal: AbortSignal): Promise<PollResult> {
    this.assertConnected();
    throwIfAborted(signal);
    const ts = this.deps.now();
    const readings: Reading[] = [];
    const errors: ChannelError[] = [];
    const reading = (channel: string, value: string, unit = ''): Reading => ({
      deviceId: this.deviceId,
      channel,
      value,
      unit,
      quality: 'good',
      ts,
    });
    const fail = (channels: readonly ChannelSpec[], error: unknown) => {
      const reason = toMetrogateError(error, 'MG_ERR_DEVICE_ERROR', { device: this.deviceId });
      for (const spec of channels)
        errors.push({ channel: spec.name, code: reason.code, message: reason.message });
    };

    const status = await this.status(signal);
    if (this.config.status) {
      readings.push(reading('deviceState', status.deviceState), reading('workState', status.workState));
      try {
        readings.push(...this.fareParameterReadings(await this.fareParameters(signal), reading));
      } catch (error) {
        if (endsThePoll(error)) throw error;
        fail(FARE_PARAMETER_CHANNELS, error);
      }
    }
    let trip: Jtt905TripRecord | undefined;
    if (this.config.trip === 'request') {
      try {
        trip = await this.requestNewestTrip(signal);
      } catch (error) {
        if (endsThePoll(error)) throw error;
        fail(TRIP_CHANNELS, error);
      }
    } else trip = this.newest;
    if (trip) readings.push(...this.tripReadings(trip, reading));
    return { readings, errors };
  }

  private tripReadings(
    trip: Jtt905TripRecord,
    reading: (c: string, v: string, u?: string) => Reading,
  ): Reading[] {
    const money = this.config.currency;
    return [
      reading('distance', trip.distance, 'm'),
      reading('emptyDistance', trip.emptyDistance, 'm'),
      reading('waitingTime', trip.waitingTime, 's'),
      reading('fare', trip.fare, money),
      reading('surcharge', trip.surcharge, money),
      reading('boardingTime', trip.boardingTime),
      reading('alightingTime', trip.alightingTime),
      reading('tripNumber', trip.tripNumber),
      reading('paymentType', trip.paymentType),
    ];
  }

  private fareParameterReadings(
    p: Jtt905FareParameters,
    reading: (c: string, v: string, u?: string) => Reading,
  ): Reading[] {
    const money = this.config.currency;
    const perKm = `${money}/km`;
    return [
      reading('tariffEnabledAt', p.enabledAt),
      reading('dayFlagFall', p.dayFlagFall, money),
      reading('nightFlagFall', p.nightFlagFall, money),
      reading('includedDistance', p.includedDistance, 'm'),
      reading('dayOneWayRate', p.dayOneWayRate, perKm),
      reading('nightOneWayRate', p.nightOneWayRate, perKm),
      reading('dayRoundTripRate', p.dayRoundTripRate, perKm),
      reading('nightRoundTripRate', p.nightRoundTripRate, perKm),
      reading('daySecondEmptyRate', p.daySecondEmptyRate, perKm),
      reading('nightSecondEmptyRate', p.nightSecondEmptyRate, perKm),
      reading('continuationDistance', p.continuationDistance, 'm'),
      reading('secondEmptyDistance', p.secondEmptyDistance, 'm'),
      reading('dayWaitingRate', p.dayWaitingRate, money),
      reading('nightWaitingRate', p.nightWaitingRate, money),
      reading('freeWaitingTime', p.freeWaitingTime, 's'),
      reading('surchargeTime', p.surchargeTime, 's'),
      reading('nightStart', p.nightStart),
      reading('nightEnd', p.nightEnd),
    ];
  }

  /** The meter's status (0x0000, carrying the ISU time from the driver's clock). */
  async status(signal: AbortSignal): Promise<Jtt905Status> {
    this.assertConnected();
    const reply = await this.ask(
      encodeStatusQuery(this.deps.now(), this.config.deviceType),
      'status',
      signal,
    );
    return reply.status;
  }

  /** The meter's tariff (0x0004). */
  async fareParameters(signal: AbortSignal): Promise<Jtt905FareParameters> {
    this.assertConnected();
    const reply = await this.ask(
      encodeFareParametersQuery(this.config.deviceType),
      'fare-parameters',
      signal,
    );
    return reply.parameters;
  }

  /**
   * Programs a tariff (0x0005). Resolves with `ok` or `same-version` (the meter already has this
   * enable time); a refusal is MG_ERR_DEVICE_ERROR, `unsupported` MG_ERR_COMMAND_UNSUPPORTED.
   */
  async setFareParameters(parameters: Jtt905FareParameters, signal: AbortSignal): Promise<FareSetResult> {
    this.assertConnected();
    let request: Buffer;
    try {
      request = encodeFareParametersSet(parameters, this.config.deviceType);
    } catch (error) {
      throw new MetrogateError('MG_ERR_INPUT_INVALID', `${this.deviceId}: ${(error as Error).message}`, {
        device: this.deviceId,
      });
    }
    const reply = await this.ask(request, 'fare-parameters-set-result', signal);
    if (reply.result === 'ok' || reply.result === 'same-version') return reply.result;
    throw new MetrogateError(
      reply.result === 'unsupported' ? 'MG_ERR_COMMAND_UNSUPPORTED' : 'MG_ERR_DEVICE_ERROR',
      `${this.deviceId} (${this.where}): the meter refused the fare parameters (0x0005 result ${reply.result})`,
      { device: this.deviceId, port: this.config.port },
    );
  }

  /** The last completed trip: asked for (`trip: request`) or the newest pushed to the driver. */
  async lastTrip(signal: AbortSignal): Promise<TaximeterTrip | undefined> {
    this.assertConnected();
    let record: Jtt905TripRecord | undefined;
    if (this.config.trip === 'request') record = await this.requestNewestTrip(signal);
    else {
      await this.status(signal);
      record = this.newest;
    }
    return record === undefined ? undefined : contractTripOf(record);
  }

  /**
   * metrogate's resend request for the newest stored trip; undefined when the meter has none.
   * A record older than one already seen is taken for a resend the meter pushed on its own and
   * not for the answer, unless no other answer comes: then the meter's trip numbers went back
   * (a counter reset, another meter), and that record is believed and becomes the reference.
   */
  private async requestNewestTrip(signal: AbortSignal): Promise<Jtt905TripRecord | undefined> {
    let older: Jtt905TripRecord | undefined;
    const isAnswer = (message: Jtt905Message) => {
      if (message.kind === 'trip-resend-none') return true;
      if (message.kind !== 'trip-resend') return false;
      if (Number(message.trip.tripNumber) >= this.highestTrip) return true;
      older = message.trip;
      return false;
    };
    let reply: Jtt905Message;
    try {
      reply = await this.ask(encodeResendRequest(0, this.config.deviceType), isAnswer, signal);
    } catch (error) {
      if (!isMetrogateError(error, 'MG_ERR_TIMEOUT')) throw error;
      if (older === undefined) {
        throw new MetrogateError(
          'MG_ERR_TIMEOUT',
          `${error.message} (resend request 0x00F2; if this meter does not support it, set trip: notifications)`,
          error.details,
        );
      }
      this.highestTrip = Number(older.tripNumber);
      reply = { kind: 'trip-resend', trip: older };
    }
    if (reply.kind !== 'trip-resend') return undefined;
    this.keep(reply.trip, true);
    return reply.trip;
  }

  /** Sends a request and waits for the meter's message that answers it. */
  private async ask<K extends Jtt905Message['kind']>(
    request: Buffer,
    answers: K | ((message: Jtt905Message) => boolean),
    signal: AbortSignal,
  ): Promise<Extract<Jtt905Message, { kind: K }>> {
    const isAnswer =
      typeof answers === 'function' ? answers : (message: Jtt905Message) => message.kind === answers;
    let answer: Jtt905Message | undefined;
    await this.channel.request(request, {
      timeoutMs: this.config.timeoutMs,
      signal,
      accept: (bytes) => {
        const result = decodeJtt905Frame(bytes);
        if (!result.ok) {
          // Makes a timeout say "checksum" or "garbled" rather than "no answer".
          this.channel.noteRejected(bytes, result.code);
          return false;
        }
        const frame = result.value;
        if (frame.deviceType !== this.config.deviceType || frame.direction !== 'meter-to-isu') return false;
        if (!isAnswer(frame.message)) return false;
        answer = frame.message;
        return true;
      },
    });
    return answer as Extract<Jtt905Message, { kind: K }>;
  }

  /** Every frame the meter sends passes here, asked for or not. */
  private heard(bytes: Buffer): void {
    const result = decodeJtt905Frame(bytes);
    if (!result.ok || result.value.deviceType !== this.config.deviceType) return;
    const message = result.value.message;
    switch (message.kind) {
      case 'trip-start':
        this.occupiedSince = message.occupiedAt;
        this.acknowledge(JTT905_COMMANDS.tripStart);
        break;
      case 'trip-record':
        this.keep(message.trip, true);
        this.occupiedSince = undefined;
        this.acknowledge(JTT905_COMMANDS.tripRecord);
        break;
      case 'trip-resend':
        this.keep(message.trip, false);
        this.acknowledge(JTT905_COMMANDS.tripResend);
        break;
      default:
        break;
    }
  }

  /**
   * A record that just ended a trip (0x00E8, or the meter's answer to "newest") is the newest; a
   * resent one only if no newer trip has been seen.
   */
  private keep(trip: Jtt905TripRecord, newest: boolean): void {
    const number = Number(trip.tripNumber);
    if (newest || this.newest === undefined || number >= this.highestTrip) this.newest = trip;
    this.highestTrip = Math.max(this.highestTrip, number);
  }

  private acknowledge(command: number): void {
    if (this.lifecycle === 'closed' || !this.frameChannel) return;
    this.frameChannel.send(encodeAck(command, true, this.config.deviceType)).catch((error: unknown) => {
      this.deps.logger.debug({ err: error, device: this.deviceId }, 'acknowledgement not sent');
    });
  }

  async close(): Promise<void> {
    if (this.lifecycle === 'closed') return;
    this.lifecycle = 'closed';
    this.unsubscribe?.();
    await this.frameChannel?.close();
  }
}

function identityOf(status: Jtt905Status): DeviceIdentity {
  return {
    manufacturer: status.manufacturer,
    model: `JT/T 905 device type ${status.deviceType}`,
    serialNumber: status.serialNumber,
    hardwareVersion: status.hardwareVersion,
    softwareVersion: status.softwareVersion,
    deviceState: status.deviceState,
    workState: status.workState,
    plate: status.plate,
    tripCount: status.tripCount,
  };
}

export function contractTripOf(record: Jtt905TripRecord): TaximeterTrip {
  return {
    tripNumber: record.tripNumber,
    boardingTime: record.boardingTime,
    alightingTime: record.alightingTime,
    distance: record.distance,
    emptyDistance: record.emptyDistance,
    waitingTime: record.waitingTime,
    fare: record.fare,
    surcharge: record.surcharge,
    paymentType: record.paymentType,
  };
}
