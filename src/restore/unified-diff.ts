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
