/**
 * Quoting a piece of user input inside an error message: at most 40 characters (code points), as a JSON string
 * so every control character is escaped (C1 controls and the line/paragraph separators too), with `...` and the
 * full length when cut. A message never carries a whole file's line (`-r /etc/passwd`) or terminal escapes.
 */

/** Most characters of user input quoted in a message. */
export const QUOTE_MAX_CHARS = 40;

/** `text` quoted for a message (see the module comment). */
export function quoteInput(text: string, maxChars = QUOTE_MAX_CHARS): string {
  const chars = Array.from(text);
  const shown = chars.length > maxChars ? chars.slice(0, maxChars).join('') : text;
  const quoted = JSON.stringify(shown).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return chars.length > maxChars ? `${quoted.slice(0, -1)}..." (${chars.length} characters)` : quoted;
}
