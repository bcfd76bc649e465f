/** `scheme://` at the start of a value, kept when the rest is masked so the reader still sees what was meant. */
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)?/;

/**
 * A setting's value as a configuration problem quotes it. Whatever stands before a value's last `@` may be a
 * password (`redis://:pw@host`, `user:pw@host`, mistyped or in a host list), and configuration problems end
 * up in logs: it is masked, whichever rule refused the value, since a rule cannot know where a malformed value
 * keeps its password. Every message that quotes a value goes through here.
 */
export function quoted(value: string): string {
  return JSON.stringify(shown(value));
}

/** As `quoted`, without the quotes: for a value (a file path) that a message shows as it is. */
export function shown(value: string): string {
  const at = value.lastIndexOf('@');
  if (at === -1) return value;
  const scheme = SCHEME.exec(value.slice(0, at))?.[1] ?? '';
  return `${scheme}***${value.slice(at)}`;
}
