/**
 * Decoders never throw: random bytes from a noisy line are an expected input, not an exception.
 * They return either the decoded value or the reason the frame was rejected, with the error code
 * the driver will report.
 */
import type { ErrorCode } from './errors.js';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; reason: string };

export function decoded<T>(value: T): DecodeResult<T> {
  return { ok: true, value };
}

export function rejected<T = never>(code: ErrorCode, reason: string): DecodeResult<T> {
  return { ok: false, code, reason };
}

/** Printable rendering of a frame for error messages: ASCII where printable, <XX> elsewhere. */
export function showFrame(frame: Uint8Array, max = 48): string {
  let text = '';
  for (const byte of frame.subarray(0, max)) {
    text +=
      byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : `<${byte.toString(16).padStart(2, '0')}>`;
  }
  return frame.length > max ? `${text}…` : text;
}
