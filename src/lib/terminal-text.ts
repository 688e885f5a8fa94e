/**
 * Text from untrusted sources (task output, ids) made safe to print on a terminal: control characters cannot
 * move the cursor, clear the screen, set the window title or reorder what follows.
 */

/**
 * C0 controls except tab, DEL, C1 controls, and the Unicode bidirectional overrides and isolates (which can
 * make a line read differently from its bytes).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every unsafe character written as a visible escape (`\x1b`, `\u202e`); tab is kept. */
export function escapeControls(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
