/* filter.js -- the run and tag filters: case-insensitive regular expressions.
 *
 * While the user is typing, the pattern is often not a valid regex yet ("lr=(0."): then it is matched
 * as literal text instead, and `valid` is false so the input can say so. An empty pattern matches all.
 * Pure: no DOM. */

/** @param {string} pattern  @returns {{valid: boolean, test: (s: string) => boolean}} */
export function makeMatcher(pattern) {
  if (!pattern) return { valid: true, test: () => true };
  try {
    const re = new RegExp(pattern, 'i');
    return { valid: true, test: (s) => re.test(s) };
  } catch {
    const needle = pattern.toLowerCase();
    return { valid: false, test: (s) => s.toLowerCase().includes(needle) };
  }
}
