/**
 * A Modbus TCP server (Modbus Messaging on TCP/IP Implementation Guide V1.0b): MBAP header
 * (transaction id, protocol id 0, length, unit id) + PDU, any number of connections, each
 * answered in order. Faults from a FaultInjector apply to replies.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../drivers/logger.js';
import { silentLogger } from '../../drivers/logger.js';
import type { ModbusRegisterSource } from '../../drivers/transport/modbus-client.js';
import { FaultInjector } from '../faults.js';
import { preciseDelay } from '../timing.js';
import { exceptionPdu, handleRequestPdu } from './pdu.js';
import { answersUnit, UnitRouter, type UnitSelector } from './register-bank.js';

export interface ModbusTcpServerOptions {
  source: ModbusRegisterSource;
  /** Unit ids answered; default every id (or the ids of a UnitRouter). */
  units?: UnitSelector;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  faults?: FaultInjector;
  /** Device processing time before each reply. */
  responseDelayMs?: number;
  logger?: Logger;
}

const MBAP_BYTES = 7;

export class ModbusTcpServer {
  readonly faults: FaultInjector;
  private readonly options: ModbusTcpServerOptions;
  private readonly units: UnitSelector;
  private readonly logger: Logger;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundHost = '127.0.0.1';
  private boundPort = 0;
  private closed = false;
  private unplugged: Promise<void> | undefined;

  private constructor(options: ModbusTcpServerOptions) {
    this.options = options;
    this.faults = options.faults ?? new FaultInjector();
    this.units = options.units ?? (options.source instanceof UnitRouter ? options.source.unitIds : 'any');
    this.logger = options.logger ?? silentLogger();
  }

  static async start(options: ModbusTcpServerOptions): Promise<ModbusTcpServer> {
    const server = new ModbusTcpServer(options);
    await server.listen(options.host ?? '127.0.0.1', options.port ?? 0);
    return server;
  }

  get host(): string {
    return this.boundHost;
  }

  get port(): number {
    return this.boundPort;
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  private listen(host: string, port: number): Promise<void> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (error) => this.logger.warn({ err: error }, 'modbus tcp server error'));
        const address = server.address();
        if (address && typeof address === 'object') {
          this.boundHost = address.address;
          this.boundPort = address.port;
        }
        resolve();
      });
    });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    let buffer: Buffer = Buffer.alloc(0);
    let chain: Promise<void> = Promise.resolve();
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (buffer.length >= MBAP_BYTES) {
        const protocolId = buffer.readUInt16BE(2);
        const length = buffer.readUInt16BE(4);
        if (protocolId !== 0 || length < 2 || length > 254) {
          // Not Modbus: a real server drops such a connection rather than guessing.
          this.logger.debug({ protocolId, length }, 'modbus tcp: bad MBAP header, closing');
          socket.destroy();
          return;
        }
        if (buffer.length < 6 + length) break;
        const adu = buffer.subarray(0, 6 + length);
        buffer = buffer.subarray(6 + length);
        chain = chain
          .then(() => this.answer(socket, Buffer.from(adu)))
          .catch((error) => {
            this.logger.debug({ err: error }, 'modbus tcp: reply failed');
          });
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private async answer(socket: Socket, adu: Buffer): Promise<void> {
    const transactionId = adu.readUInt16BE(0);
    const unitId = adu[6]!;
    const pdu = adu.subarray(MBAP_BYTES);
    let reply: Buffer;
    if (!answersUnit(this.units, unitId)) {
      // A gateway with no device at that unit id says so (exception 11) instead of staying silent.
      reply = exceptionPdu(pdu[0] ?? 0, 11);
    } else {
      // On TCP, unit 0 addresses the server itself and is answered like any other id.
      reply = handleRequestPdu(this.options.source, unitId, pdu);
    }
    if (this.options.responseDelayMs) await preciseDelay(this.options.responseDelayMs);
    const header = Buffer.alloc(MBAP_BYTES);
    header.writeUInt16BE(transactionId, 0);
    header.writeUInt16BE(0, 2);
    header.writeUInt16BE(reply.length + 1, 4);
    header[6] = unitId;
    const frame = Buffer.concat([header, reply]);
    const pendingDisconnect = this.faults.takeDisconnect();
    if (pendingDisconnect !== undefined) {
      void this.disconnect(pendingDisconnect);
      return;
    }
    const kind = this.faults.current?.kind;
    let out = this.faults.apply(frame);
    if (out && (kind === 'garble' || kind === 'bad-checksum')) {
      // TCP's own checksum keeps line noise out, so a garbled Modbus TCP reply is a protocol-level
      // inconsistency (a confused gateway): here, a function code the client did not ask for.
      out = Buffer.from(frame);
      out[MBAP_BYTES] = out[MBAP_BYTES]! ^ 0x40;
    }
    if (!out || out.length === 0 || socket.destroyed) return;
    socket.write(out);
  }

  /** Closes the listener and every connection for `durationMs`, then listens on the same port again. */
  async disconnect(durationMs: number): Promise<void> {
    if (this.unplugged) return this.unplugged;
    this.unplugged = (async () => {
      this.logger.info({ durationMs }, 'modbus tcp: simulated disconnect');
      await this.stopListening();
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      if (!this.closed) await this.listen(this.boundHost, this.boundPort);
    })().finally(() => {
      this.unplugged = undefined;
    });
    return this.unplugged;
  }

  private async stopListening(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stopListening();
    await this.unplugged?.catch(() => undefined);
  }
}
