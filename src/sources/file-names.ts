/**
 * File names as entry keys (see ledger/FORMAT.md, "Keys of file names"). A name is a sequence of
 * bytes; a key is a string. Valid UTF-8 decodes as itself; every byte that is not part of a valid
 * UTF-8 sequence becomes the lone surrogate U+DC00 + byte (U+DC80–U+DCFF), as in PEP 383. Valid
 * UTF-8 never decodes to a lone surrogate, so the mapping is reversible and never confuses a
 * valid name with an escaped one. In canonical JSON such a key is written `\udcXX`.
 */

/** The key of a file name's bytes. */
export function decodeFileName(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i++;
      continue;
    }
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    let cp = length === 2 ? b & 0x1f : length === 3 ? b & 0x0f : b & 0x07;
    let ok = length > 0 && i + length <= bytes.length;
    for (let k = 1; ok && k < length; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 0x3f);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not valid UTF-8.
    if (ok && ((length === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (length === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (!ok) {
      out += String.fromCharCode(0xdc00 + b);
      i++;
      continue;
    }
    out += String.fromCodePoint(cp);
    i += length;
  }
  return out;
}

/** The bytes of the file name a key stands for (the inverse of decodeFileName). */
export function encodeFileName(key: string): Buffer {
  const parts: Buffer[] = [];
  let run = '';
  for (let i = 0; i < key.length; i++) {
    const unit = key.charCodeAt(i);
    const lone = unit >= 0xdc80 && unit <= 0xdcff && !(i > 0 && isHighSurrogate(key.charCodeAt(i - 1)));
    if (!lone) {
      run += key[i];
      continue;
    }
    if (run) parts.push(Buffer.from(run, 'utf8'));
    run = '';
    parts.push(Buffer.of(unit - 0xdc00));
  }
  if (run) parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the key holds escaped bytes (the file system needs its bytes, not the string). */
export function hasEscapedBytes(key: string): boolean {
  return LONE_SURROGATE.test(key);
}

/**
 * Names that the glob walker cannot handle: line terminators (its `*` never matches them) and
 * bytes that are not UTF-8 (they reach it as U+FFFD and the name cannot be opened again). Such
 * names are listed by the files source itself.
 */
export function isAwkwardName(name: string): boolean {
  return /[\n\r\u2028\u2029\uFFFD]/.test(name);
}
