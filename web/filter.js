/* filter.js -- the run and tag filters: case-insensitive regular expressions.
 *
 * While the user is typing, the pattern is often not a valid regex yet ("lr=(0."): then it is matched
 * as literal text instead, and `valid` is false (with the parser's reason in `error`) so the page can
 * say so rather than just "nothing matches". An empty pattern matches all. Pure: no DOM. */

/** @param {string} pattern  @returns {{valid: boolean, error?: string, test: (s: string) => boolean}} */
export function makeMatcher(pattern) {
  if (!pattern) return { valid: true, test: () => true };
  try {
    const re = new RegExp(pattern, 'i');
    return { valid: true, test: (s) => re.test(s) };
  } catch (e) {
    const needle = pattern.toLowerCase();
    // V8 says "Invalid regular expression: /(a/i: Unterminated group": keep the reason only.
    const reason = String(e.message).split(': ').at(-1);
    return { valid: false, error: reason.charAt(0).toLowerCase() + reason.slice(1), test: (s) => s.toLowerCase().includes(needle) };
  }
}

/** What a tab says when its filter shows nothing: `noMatch` for a valid pattern, and for one that is
 * not a regular expression that it is not (matched as plain text, it found nothing either). */
export function emptyFilterText(matcher, noMatch) {
  if (matcher.valid) return noMatch;
  return `Invalid regular expression (${matcher.error}); read as plain text it matches nothing.`;
}

/** The count beside a filter: "3 of 7 tags", and a word when the pattern is not a regular expression. */
export function filterCountText(matcher, shown, total, noun) {
  if (!total) return '';
  const counted = shown === total ? `${total} ${noun(total)}` : `${shown} of ${total} ${noun(total)}`;
  return matcher.valid ? counted : `${counted} · invalid regular expression, matched as text`;
}
