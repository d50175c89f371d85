/**
 * Every error metrogate reports carries one of these codes. The CLI, the HTTP API and the MQTT
 * status topics all use the same list, so a user can script against the code and read the message.
 *
 * Add a code here (with its one-line meaning) before throwing it anywhere.
 */
export const ERROR_CODES = {
  MG_ERR_CONFIG_INVALID: 'a configuration value is missing or invalid',
  MG_ERR_INPUT_INVALID: 'a command-line option or input file is invalid',
  MG_ERR_DRIVER_UNKNOWN: 'no driver with that id',
  MG_ERR_DEPENDENCY_MISSING: 'a program metrogate needs is not installed',
  MG_ERR_PORT_NOT_FOUND: 'the serial port does not exist',
  MG_ERR_PORT_ACCESS: 'no permission to open the serial port',
  MG_ERR_PORT_BUSY: 'the serial port is held by another program',
  MG_ERR_PORT_OPEN_FAILED: 'the serial port could not be opened',
  MG_ERR_PORT_CLOSED: 'the port or connection is closed',
  MG_ERR_PORT_DISCONNECTED: 'the port disappeared while in use',
  MG_ERR_NOT_CONNECTED: 'the driver is not connected',
  MG_ERR_TIMEOUT: 'the device did not answer in time',
  MG_ERR_FRAME_GARBLED: 'bytes arrived that are not a frame of the expected protocol',
  MG_ERR_FRAME_CHECKSUM: 'a frame arrived with a wrong checksum or CRC',
  MG_ERR_FRAME_TOO_LONG: 'a frame exceeded the protocol maximum length',
  MG_ERR_DEVICE_BUSY: 'the device could not execute the command now',
  MG_ERR_DEVICE_ERROR: 'the device answered with an error',
  MG_ERR_COMMAND_UNSUPPORTED: 'the device or driver does not support the command',
  MG_ERR_MODBUS_EXCEPTION: 'the Modbus device answered with an exception',
  MG_ERR_CONNECT_FAILED: 'the network connection could not be made',
  MG_ERR_ABORTED: 'the operation was cancelled',
  MG_ERR_PROTOCOL_NOT_DETECTED: 'no supported protocol answered on the port',
  MG_ERR_STANDARD_INVALID: 'a reference standard is past its due date or not accurate enough for the test',
  MG_ERR_RECORD_CHAIN_BROKEN: 'a stored verification record was altered, removed or reordered',
  MG_ERR_STORE_FAILED: 'the local database could not be opened or written',
  MG_ERR_NOT_FOUND: 'no record, instrument or standard with that id',
  MG_ERR_UNAUTHORIZED: 'no valid access token was given (HTTP 401)',
  MG_ERR_FORBIDDEN: "the access token's role does not allow this (HTTP 403)",
  MG_ERR_BODY_TOO_LARGE: 'the request body is larger than the limit (HTTP 413)',
  MG_ERR_RATE_LIMITED: 'too many requests from this client; retry later (HTTP 429)',
  MG_ERR_INTERNAL: 'an unexpected error inside the gateway; its log has the details',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Context that names what is at fault: the port and its settings, a config path, a channel. */
export interface ErrorDetails {
  port?: string;
  settings?: string;
  path?: string;
  channel?: string;
  device?: string;
  [key: string]: unknown;
}

export class MetrogateError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetrogateError';
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isMetrogateError(error: unknown, code?: ErrorCode): error is MetrogateError {
  return error instanceof MetrogateError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a MetrogateError, keeping one that already is. */
export function toMetrogateError(
  error: unknown,
  fallback: ErrorCode,
  details: ErrorDetails = {},
): MetrogateError {
  if (error instanceof MetrogateError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MetrogateError(fallback, message, details, { cause: error });
}

export function abortError(reason?: unknown): MetrogateError {
  return new MetrogateError('MG_ERR_ABORTED', 'operation cancelled', {}, { cause: reason });
}
