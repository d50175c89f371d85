/**
 * Canonical JSON: the one byte sequence a record hashes to, whoever serialises it and in whatever
 * key order it was built. Object keys are sorted by UTF-16 code units, there is no whitespace,
 * strings and numbers are written as ECMAScript's JSON.stringify writes them, and the text is hashed
 * as UTF-8. These are the rules of RFC 8785 (JSON Canonicalization Scheme), so another
 * implementation of JCS can check a record's hash without metrogate.
 *
 * Only JSON values are accepted. Anything that JSON.stringify would silently change (NaN becoming
 * null, an undefined array element becoming null, a Map becoming {}) is refused, because the stored
 * record must be exactly the value that was hashed. Properties whose value is undefined are left
 * out, as JSON.stringify does, so optional fields may be present-but-undefined.
 */
import { MetrogateError } from '../../drivers/errors.js';

export function canonicalJson(value: unknown): string {
  return write(value, '$');
}

function write(value: unknown, path: string): string {
  const plain = toJsonValue(value);
  if (plain === null) return 'null';
  switch (typeof plain) {
    case 'boolean':
      return plain ? 'true' : 'false';
    case 'string':
      return JSON.stringify(plain);
    case 'number':
      if (!Number.isFinite(plain)) throw notJson(path, `the number ${String(plain)} has no JSON form`);
      return JSON.stringify(plain);
    case 'object':
      if (Array.isArray(plain)) {
        return `[${plain
          .map((item, index) => {
            if (item === undefined) throw notJson(`${path}[${index}]`, 'an array element is undefined');
            return write(item, `${path}[${index}]`);
          })
          .join(',')}]`;
      }
      return writeObject(plain as Record<string, unknown>, path);
    default:
      throw notJson(path, `a ${typeof plain} has no JSON form`);
  }
}

function writeObject(object: Record<string, unknown>, path: string): string {
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    const name = (object.constructor as { name?: string } | undefined)?.name ?? 'object';
    throw notJson(path, `a ${name} is not a plain JSON object`);
  }
  // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
  const keys = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${write(object[key], `${path}.${key}`)}`).join(',')}}`;
}

/** Applies toJSON the way JSON.stringify does (Decimal and Date values serialise themselves). */
function toJsonValue(value: unknown): unknown {
  if (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as { toJSON?: unknown }).toJSON === 'function'
  ) {
    return (value as { toJSON(): unknown }).toJSON();
  }
  return value;
}

function notJson(path: string, why: string): MetrogateError {
  return new MetrogateError('MG_ERR_INPUT_INVALID', `${path}: ${why}; records hold JSON values only`, {
    path,
  });
}
