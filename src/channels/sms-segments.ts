/**
 * SMS length arithmetic (pure). A message whose every character is in the GSM 03.38 default
 * alphabet (or its extension table, two septets each) is sent as GSM-7: 160 septets in one
 * segment, 153 per segment when split. Anything else goes as UCS-2: 70 UTF-16 units in one
 * segment, 67 per segment when split; a character never straddles two segments (an escape pair
 * or a surrogate pair moves to the next one), as phones and carriers pack them.
 */
export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

export interface FittedSms extends SmsLength {
  text: string;
  /** True when the text was cut (and ends in "…") to stay within the segment limit. */
  cut: boolean;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';
const BASIC = new Set([...GSM_BASIC]);
const EXTENSION = new Set([...GSM_EXTENSION]);

export const ELLIPSIS = '…';

/** Septets per character in GSM-7, or undefined when the character needs UCS-2. */
function septets(char: string): number | undefined {
  if (BASIC.has(char)) return 1;
  if (EXTENSION.has(char)) return 2;
  return undefined;
}

export function isGsm7(text: string): boolean {
  for (const char of text) if (septets(char) === undefined) return false;
  return true;
}

/** Sizes of the characters in the encoding the text needs. */
function unitSizes(text: string): { encoding: SmsEncoding; sizes: number[] } {
  const chars = [...text];
  if (chars.every((c) => septets(c) !== undefined)) return { encoding: 'GSM-7', sizes: chars.map((c) => septets(c) as number) };
  return { encoding: 'UCS-2', sizes: chars.map((c) => c.length) };
}

const SINGLE: Record<SmsEncoding, number> = { 'GSM-7': 160, 'UCS-2': 70 };
const MULTI: Record<SmsEncoding, number> = { 'GSM-7': 153, 'UCS-2': 67 };

function pack(sizes: number[], capacity: number): number {
  let segments = 1;
  let used = 0;
  for (const size of sizes) {
    if (used + size > capacity) {
      segments++;
      used = 0;
    }
    used += size;
  }
  return segments;
}

export function smsLength(text: string): SmsLength {
  const { encoding, sizes } = unitSizes(text);
  const units = sizes.reduce((a, b) => a + b, 0);
  const segments = units <= SINGLE[encoding] ? 1 : pack(sizes, MULTI[encoding]);
  return { encoding, units, segments };
}

/**
 * The text within `maxSegments`: unchanged when it fits, else the longest prefix (trailing
 * spaces dropped) followed by "…". The ellipsis is not in the GSM-7 alphabet, so a cut message
 * is UCS-2 and holds 70 (one segment) or 67 × n characters.
 */
export function fitSms(text: string, maxSegments: number): FittedSms {
  const whole = smsLength(text);
  if (whole.segments <= maxSegments) return { text, cut: false, ...whole };
  const chars = [...text];
  const capacity = maxSegments === 1 ? SINGLE['UCS-2'] : MULTI['UCS-2'] * maxSegments;
  let keep = Math.min(chars.length, capacity);
  for (; keep > 0; keep--) {
    const candidate = `${chars.slice(0, keep).join('').trimEnd()}${ELLIPSIS}`;
    if (smsLength(candidate).segments <= maxSegments) return { text: candidate, cut: true, ...smsLength(candidate) };
  }
  return { text: ELLIPSIS, cut: true, ...smsLength(ELLIPSIS) };
}
