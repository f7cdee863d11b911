/**
 * Exact JSON: integers beyond ±(2^53 - 1) keep every digit, and objects with a duplicate key are
 * refused instead of silently keeping the last value.
 *
 * Such an integer is an ExactInteger in parsed values and content; canonicalJson writes its
 * digits as a JSON number, JSON.stringify (reports, payloads) as a string of the same digits.
 */

/** An integer too large for a JS number, held by its decimal digits (normalised: no "+", no leading zeros, no "-0"). */
export class ExactInteger {
  readonly digits: string;
  constructor(digits: string) {
    this.digits = digits;
  }
  toJSON(): string {
    return this.digits;
  }
  toString(): string {
    return this.digits;
  }
}

/** A bigint as a number when it is a safe integer, else an ExactInteger. */
export function fromBigInt(value: bigint): number | ExactInteger {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : new ExactInteger(value.toString());
}

/** Thrown by parseExactJson: `message` says what and where (a JSON Pointer in `pointer`). */
export class ExactJsonError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/**
 * Parses JSON text (RFC 8259) like JSON.parse, except that an integer literal outside the safe
 * range becomes an ExactInteger and a duplicate object key is an ExactJsonError naming it.
 */
export function parseExactJson(text: string): unknown {
  let i = 0;
  const path: string[] = [];
  const pointer = (): string => path.map((s) => `/${s.replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  const fail = (what: string): never => {
    throw new ExactJsonError(`${what} at position ${i}`, pointer());
  };
  const space = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const string = (): string => {
    STRING.lastIndex = i;
    const m = STRING.exec(text);
    if (!m) return fail('invalid string');
    i += m[0].length;
    return JSON.parse(m[0]) as string;
  };
  const value = (): unknown => {
    space();
    const c = text[i];
    if (c === '{') {
      i++;
      const out: Record<string, unknown> = {};
      const seen = new Set<string>();
      space();
      if (text[i] === '}') {
        i++;
        return out;
      }
      for (;;) {
        space();
        if (text[i] !== '"') fail('expected a string key');
        const key = string();
        if (seen.has(key)) {
          path.push(key);
          throw new ExactJsonError(`duplicate key ${JSON.stringify(key)}`, pointer());
        }
        seen.add(key);
        space();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        path.push(key);
        Object.defineProperty(out, key, { value: value(), enumerable: true, writable: true, configurable: true });
        path.pop();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return out;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const out: unknown[] = [];
      space();
      if (text[i] === ']') {
        i++;
        return out;
      }
      for (;;) {
        path.push(String(out.length));
        out.push(value());
        path.pop();
        space();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return out;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (!m) return fail(i >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(c)}`);
    i += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) return fromBigInt(BigInt(m[0]));
    return n;
  };
  const out = value();
  space();
  if (i < text.length) fail('unexpected text after the value');
  return out;
}

/**
 * A number of 16 digits or more where a JSON value starts (the text's start, or after ":", "," or
 * "["): only then does reading need parseExactJson. Digit runs inside strings (sha256 hex, which
 * ledger shards are full of) match only after such a character inside the same string, which
 * costs the slower parse, never a rounded number.
 */
const LONG_DIGITS = /(?:^|[:,[])\s*-?\d{16}/;

/** False when JSON.parse reads `text` exactly (it holds no number of 16 digits or more); true means it may not. */
export function mayHoldLongIntegers(text: string): boolean {
  return LONG_DIGITS.test(text);
}

/** JSON.parse, or parseExactJson when the text may hold an integer beyond the safe range. */
export function parseJsonKeepingIntegers(text: string): unknown {
  if (!LONG_DIGITS.test(text)) return JSON.parse(text);
  try {
    return parseExactJson(text);
  } catch {
    // Duplicate keys (which ledger files never have) or malformed text: JSON.parse's own verdict.
    return JSON.parse(text);
  }
}

const EXACT_MARK = '\u0000driftctl-exact-integer:';
const EXACT_MARKED = /"\\u0000driftctl-exact-integer:(-?\d+)"/g;

/**
 * JSON.stringify (compact) that writes an ExactInteger as a JSON number with all its digits, for
 * files driftctl reads back with parseJsonKeepingIntegers (caches). A string equal to the internal
 * marker (a NUL, then "driftctl-exact-integer:" and digits) would be read back as that number.
 */
export function stringifyKeepingIntegers(value: unknown): string {
  let marked = false;
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, item: unknown) {
    const raw = this[key];
    if (raw instanceof ExactInteger) {
      marked = true;
      return `${EXACT_MARK}${raw.digits}`;
    }
    return item;
  });
  return marked ? text.replace(EXACT_MARKED, '$1') : text;
}
