import { diffTexts, unifiedText } from '../drift/content-diff.js';

/**
 * The unified diff `restore` shows, from what the file holds now to what it will hold (undefined:
 * absent), through drift/content-diff (the `diff` package's Myers diff, as every other diff);
 * '' when the texts are equal.
 */
export function restoreDiff(key: string, now: string | undefined, restored: string | undefined): string {
  const text = unifiedText(diffTexts(key, now, restored));
  return text === '' ? '' : `${text}\n`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of bytes that look like text (no NUL in the first 8,000 bytes, valid UTF-8), else undefined. */
export function textOf(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8000).includes(0)) return undefined;
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}
