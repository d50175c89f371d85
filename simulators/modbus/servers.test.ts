/**
 * The simulated Modbus TCP and RTU servers, driven by modbus-serial (the gateway's client) and by
 * raw frames where a client would refuse to send them.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ModbusSerialClient } from '../../drivers/transport/modbus-client.js';
import { SerialLink } from '../../drivers/transport/serial-link.js';
import { FaultInjector } from '../faults.js';
import { float32Registers, int32Registers } from './encode.js';
import { RegisterBank, UnitRouter } from './register-bank.js';
import { hasValidCrc, withCrc } from './rtu-framing.js';
import { ModbusRtuServer } from './rtu-server.js';
import { ModbusTcpServer } from './tcp-server.js';

const LINE = { baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 } as const;
const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const opts = { timeoutMs: 300 };

function bank(): RegisterBank {
  const b = new RegisterBank({ sizes: { holding: 200, input: 50, coil: 64, discrete: 0 } });
  b.setWords('holding', 0, [...int32Registers(12345), 1, 1, ...float32Registers(1234.5)]);
  b.setWords('input', 0, [42]);
  return b;
}

/** Sends raw bytes on a TCP connection and collects what comes back within `ms`. */
async function rawTcp(port: number, request: Buffer, ms = 150): Promise<Buffer> {
  const socket: Socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(request);
  await new Promise((resolve) => setTimeout(resolve, ms));
  socket.destroy();
  return Buffer.concat(chunks);
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('ModbusTcpServer', () => {
  async function start(options: Partial<Parameters<typeof ModbusTcpServer.start>[0]> = {}) {
    const server = await ModbusTcpServer.start({ source: bank(), ...options });
    cleanups.push(() => server.close());
    return server;
  }

  function client(server: ModbusTcpServer): ModbusSerialClient {
    const c = new ModbusSerialClient({ kind: 'tcp', host: server.host, port: server.port });
    cleanups.push(() => c.close());
    return c;
  }

  it('serves the reference dump, writes and bits to several connections', async () => {
    const server = await start();
    const a = client(server);
    const b = client(server);
    const [first, second] = await Promise.all([
      a.readRegisters(1, 'holding', 0, 6, opts),
      b.readRegisters(9, 'holding', 0, 6, opts),
    ]);
    expect(first.toString('hex')).toBe('0000303900010001449a5000');
    expect(second.equals(first)).toBe(true);
    expect(server.connectionCount).toBe(2);
    await a.writeRegisters(1, 10, [777, 778], opts);
    expect((await b.readRegisters(1, 'holding', 10, 2, opts)).toString('hex')).toBe('0309030a');
    await a.writeCoil(1, 5, true, opts);
    expect(await b.readBits(1, 'coil', 4, 3, opts)).toEqual([false, true, false]);
    expect((await b.readRegisters(1, 'input', 0, 1, opts)).readUInt16BE(0)).toBe(42);
  });

  it('answers exceptions 1, 2 and 3 as the specification orders them', async () => {
    const server = await start();
    // FC 0x41 is not implemented: exception 1.
    expect((await rawTcp(server.port, hex('0001 0000 0006 01 41 0000 0001'))).toString('hex')).toBe(
      '00010000000301c101',
    );
    // 126 registers: exception 3 even at a bad address.
    expect((await rawTcp(server.port, hex('0002 0000 0006 01 03 ff00 007e'))).toString('hex')).toBe(
      '000200000003018303',
    );
    // Beyond the 200 holding registers of this device: exception 2.
    expect((await rawTcp(server.port, hex('0003 0000 0006 01 03 00c6 0004'))).toString('hex')).toBe(
      '000300000003018302',
    );
    // No discrete inputs on this device: exception 1.
    expect((await rawTcp(server.port, hex('0004 0000 0006 01 02 0000 0001'))).toString('hex')).toBe(
      '000400000003018201',
    );
    // FC 6 (write single register) echoes the request.
    expect((await rawTcp(server.port, hex('0005 0000 0006 01 06 0014 0309'))).toString('hex')).toBe(
      '000500000006010600140309',
    );
  });

  it('maps a forced exception to MG_ERR_MODBUS_EXCEPTION and a unit outside the set to exception 11', async () => {
    const source = bank();
    const server = await start({ source, units: [1] });
    const c = client(server);
    source.forceException(6);
    await expect(c.readRegisters(1, 'holding', 0, 2, opts)).rejects.toMatchObject({
      code: 'MG_ERR_MODBUS_EXCEPTION',
      details: { exception: 6 },
    });
    await expect(c.readRegisters(2, 'holding', 0, 2, opts)).rejects.toMatchObject({
      details: { exception: 11 },
    });
    expect((await c.readRegisters(1, 'holding', 0, 2, opts)).readInt32BE(0)).toBe(12345);
  });

  it('applies silence and garble faults to replies', async () => {
    const faults = new FaultInjector();
    const server = await start({ faults });
    const c = client(server);
    faults.inject({ kind: 'silence', count: 1 });
    await expect(c.readRegisters(1, 'holding', 0, 2, opts)).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
    faults.inject({ kind: 'garble', count: 1 });
    await expect(c.readRegisters(1, 'holding', 0, 2, opts)).rejects.toMatchObject({
      code: 'MG_ERR_FRAME_GARBLED',
    });
    expect((await c.readRegisters(1, 'holding', 0, 2, opts)).readInt32BE(0)).toBe(12345);
  });

  it('closes a connection that does not speak Modbus TCP', async () => {
    const server = await start();
    expect((await rawTcp(server.port, Buffer.from('GET / HTTP/1.0\r\n\r\n'))).length).toBe(0);
  });
});

describe('ModbusRtuServer on a pty', () => {
  async function start(options: Partial<Parameters<typeof ModbusRtuServer.onPty>[0]> = {}) {
    const server = await ModbusRtuServer.onPty({ source: bank(), line: LINE, ...options });
    cleanups.push(() => server.close());
    return server;
  }

  function client(
    server: ModbusRtuServer,
    line: typeof LINE | { baudRate: number } = LINE,
  ): ModbusSerialClient {
    const c = new ModbusSerialClient({
      kind: 'rtu',
      serial: { path: server.gatewayPath!, ...LINE, ...line },
    });
    cleanups.push(() => c.close());
    return c;
  }

  /** Writes raw bytes on the gateway end of the pty and collects the reply. */
  async function raw(server: ModbusRtuServer, request: Buffer, ms = 150): Promise<Buffer> {
    const link = new SerialLink({ path: server.gatewayPath!, ...LINE }, { reconnect: false });
    const chunks: Buffer[] = [];
    link.onData((chunk) => chunks.push(chunk));
    await link.open();
    await link.write(request);
    await new Promise((resolve) => setTimeout(resolve, ms));
    await link.close();
    return Buffer.concat(chunks);
  }

  it('answers its unit ids only, and executes broadcasts without a reply', async () => {
    const one = bank();
    const two = bank();
    two.setWords('holding', 0, int32Registers(-7));
    const server = await start({ source: new UnitRouter().add(1, one).add(2, two) });
    const c = client(server);
    expect((await c.readRegisters(1, 'holding', 0, 2, opts)).readInt32BE(0)).toBe(12345);
    expect((await c.readRegisters(2, 'holding', 0, 2, opts)).readInt32BE(0)).toBe(-7);
    await expect(c.readRegisters(3, 'holding', 0, 2, opts)).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
    // The client holds the port's lock; the raw writer below needs it.
    await c.close();
    // Broadcast FC 6: both devices write, nobody answers.
    expect((await raw(server, withCrc(hex('00 06 0020 00 63')))).length).toBe(0);
    expect(one.getWords('holding', 32, 1)).toEqual([99]);
    expect(two.getWords('holding', 32, 1)).toEqual([99]);
  });

  it('answers an unknown function code with exception 1 after the line falls silent', async () => {
    const server = await start();
    const reply = await raw(server, withCrc(hex('01 41 00 00')), 200);
    expect(reply.subarray(0, 3).toString('hex')).toBe('01c101');
    expect(hasValidCrc(reply)).toBe(true);
  });

  it('sends bad CRCs, garbled and partial replies on demand, then recovers', async () => {
    const faults = new FaultInjector();
    const server = await start({ faults });
    const c = client(server);
    faults.inject({ kind: 'bad-checksum', count: 1 });
    await expect(c.readRegisters(1, 'holding', 0, 2, opts)).rejects.toMatchObject({
      code: 'MG_ERR_FRAME_CHECKSUM',
    });
    faults.inject({ kind: 'garble', count: 1 });
    await expect(c.readRegisters(1, 'holding', 0, 2, opts)).rejects.toMatchObject({
      code: 'MG_ERR_FRAME_CHECKSUM',
    });
    faults.inject({ kind: 'partial', count: 1 });
    await expect(c.readRegisters(1, 'holding', 0, 2, opts)).rejects.toMatchObject({ code: 'MG_ERR_TIMEOUT' });
    let value: number | undefined;
    for (let i = 0; i < 3 && value === undefined; i++) {
      value = await c.readRegisters(1, 'holding', 0, 2, opts).then(
        (b) => b.readInt32BE(0),
        () => undefined,
      );
    }
    expect(value).toBe(12345);
  });

  it('garbles replies for a gateway at the wrong baud rate', async () => {
    const server = await start();
    const c = client(server, { baudRate: 9600 });
    await expect(c.readRegisters(1, 'holding', 0, 2, opts)).rejects.toMatchObject({
      code: expect.stringMatching(/MG_ERR_(TIMEOUT|FRAME_CHECKSUM|FRAME_GARBLED)/),
    });
  });

  it('never answers a 115200-baud cycle faster than the wire (about 7 ms for 10 registers)', async () => {
    const line = { baudRate: 115200, dataBits: 8, parity: 'even', stopBits: 1 } as const;
    const server = await ModbusRtuServer.onPty({ source: bank(), line, emulateWireTime: true });
    cleanups.push(() => server.close());
    const c = new ModbusSerialClient({ kind: 'rtu', serial: { path: server.gatewayPath!, ...line } });
    cleanups.push(() => c.close());
    await c.readRegisters(1, 'holding', 0, 10, opts);
    const cycles: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await c.readRegisters(1, 'holding', 0, 10, opts);
      cycles.push(performance.now() - started);
    }
    cycles.sort((a, b) => a - b);
    // peers.md §4.1: 33 bytes × 11 bits / 115200 + 2 × 1.75 ms = 6.65 ms. Only the floor is a
    // property of the emulation; how close to it a cycle gets is load-dependent and is measured by
    // `npm run bench` (modbus-rtu), not asserted here.
    expect(cycles[0]).toBeGreaterThanOrEqual(6.6);
  });
});
