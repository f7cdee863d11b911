/** Text helpers behind the template helpers (see handlebars.ts), pure. */

export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
}

export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, length: number): string {
  const chars = [...text];
  return chars.length <= length ? text : `${chars.slice(0, Math.max(0, length - 1)).join('')}…`;
}

export function relativeTime(then: number, now: number): string {
  if (!Number.isFinite(then)) return 'at an unknown time';
  const seconds = Math.round((now - then) / 1000);
  const abs = Math.abs(seconds);
  const unit = abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.floor(abs / 60), 'minute'] : abs < 86400 ? [Math.floor(abs / 3600), 'hour'] : [Math.floor(abs / 86400), 'day'];
  const phrase = `${unit[0]} ${unit[1]}${unit[0] === 1 ? '' : 's'}`;
  return seconds >= 0 ? `${phrase} ago` : `in ${phrase}`;
}
