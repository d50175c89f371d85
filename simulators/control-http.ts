/**
 * The control interface of a running simulator: a small JSON-over-HTTP API on localhost, so that a
 * test, the demo or a trainer can put a load on the platform, move it to a corner, or pull the
 * cable, while a driver reads the device. Documented in simulators/README.md.
 *
 *   GET    /state                      the model, the indication, active fault, endpoint
 *   POST   /load       {load, position?}          place a load (position: center, q1..q4)
 *   POST   /params     {spanError?, noise?, ...}   change error-model parameters at run time
 *   POST   /zero | /tare | /clear-tare             press the device's keys
 *   POST   /fault      {kind, count?, durationMs?} inject a fault (kinds: silence, garble, bad-checksum, partial, disconnect)
 *   DELETE /fault                                  clear the fault
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { faultRequestSchema } from './faults.js';
import type { ScaleSimulator } from './scale/index.js';

const MAX_BODY = 64 * 1024;

const decimalText = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .pipe(z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal number'));

const loadSchema = z.object({ load: decimalText, position: z.string().min(1).default('center') });

const paramsSchema = z
  .object({
    zeroOffset: decimalText,
    spanError: decimalText,
    nonLinearity: decimalText,
    noise: decimalText,
    driftPerHour: decimalText,
    eccentricity: z.record(z.string(), decimalText),
    settlingMs: z.number().int().min(0).max(600_000),
  })
  .partial()
  .strict();

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

function readJson(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, { code: 'MG_ERR_INPUT_INVALID', message: 'body too large' }));
        request.destroy();
      } else chunks.push(chunk);
    });
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(
          new HttpError(400, {
            code: 'MG_ERR_INPUT_INVALID',
            message: `malformed JSON: ${(error as Error).message}`,
          }),
        );
      }
    });
    request.on('error', reject);
  });
}

function validate<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw new HttpError(400, {
    code: 'MG_ERR_INPUT_INVALID',
    message: `${issue.path.join('.') || '(body)'}: ${issue.message}`,
    path: issue.path.join('.'),
  });
}

export function simulatorState(sim: ScaleSimulator): Record<string, unknown> {
  const endpoint =
    sim.endpoint.kind === 'memory'
      ? { kind: 'memory' }
      : sim.endpoint.kind === 'modbus-memory'
        ? { kind: 'modbus-memory' }
        : sim.endpoint;
  return {
    protocol: sim.protocol,
    endpoint,
    line: sim.line,
    ...sim.model.snapshot(),
    fault: sim.faults.current ?? null,
    faultCounters: sim.faults.counters,
  };
}

async function handle(sim: ScaleSimulator, request: IncomingMessage): Promise<[number, unknown]> {
  const route = `${request.method} ${(request.url ?? '/').split('?')[0]}`;
  switch (route) {
    case 'GET /state':
      return [200, simulatorState(sim)];
    case 'POST /load': {
      const body = validate(loadSchema, await readJson(request));
      sim.model.setLoad(body.load, body.position);
      return [200, simulatorState(sim)];
    }
    case 'POST /params': {
      const body = validate(paramsSchema, await readJson(request));
      sim.model.configure(Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
      return [200, simulatorState(sim)];
    }
    case 'POST /zero':
      return [200, { result: sim.model.zero(), ...simulatorState(sim) }];
    case 'POST /tare':
      return [200, { result: sim.model.tare(), ...simulatorState(sim) }];
    case 'POST /clear-tare':
      sim.model.clearTare();
      return [200, simulatorState(sim)];
    case 'POST /fault': {
      const body = validate(faultRequestSchema, await readJson(request));
      if (body.kind === 'disconnect') void sim.disconnect(body.durationMs);
      else sim.faults.inject(body);
      return [200, simulatorState(sim)];
    }
    case 'DELETE /fault':
      sim.faults.clear();
      return [200, simulatorState(sim)];
    default:
      return [
        404,
        {
          code: 'MG_ERR_INPUT_INVALID',
          message: `no route ${route}; see GET /state, POST /load, /params, /zero, /tare, /clear-tare, /fault`,
        },
      ];
  }
}

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the control API on 127.0.0.1 (port 0 = any free port). */
export async function startControlServer(
  sim: ScaleSimulator,
  port = 0,
  host = '127.0.0.1',
): Promise<ControlServer> {
  const server: Server = createServer((request, response: ServerResponse) => {
    handle(sim, request)
      .then(([status, body]) => send(response, status, body))
      .catch((error: unknown) => {
        if (error instanceof HttpError) send(response, error.status, error.body);
        else send(response, 500, { code: 'MG_ERR_DEVICE_ERROR', message: String(error) });
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
