/* pins.js -- cards pinned to the top of their tab, remembered with the settings: {tabId: [key, ...]},
 * keys in the order they were pinned (a Scalars card's key is its tag, another tab's its tag and run).
 * A pinned key whose card does not exist now stays pinned, so a run that comes back later finds its
 * cards on top again. Pure: no DOM. */

const MAX_PINS_PER_TAB = 200; // a saved list is read at every start; nobody pins more cards than this

/** The saved map with only well-formed entries: arrays of distinct strings, at most MAX_PINS_PER_TAB each. */
export function cleanPins(saved) {
  if (!saved || typeof saved !== 'object' || Array.isArray(saved)) return {};
  const clean = {};
  for (const [tab, keys] of Object.entries(saved)) {
    if (!Array.isArray(keys)) continue;
    const strings = [...new Set(keys.filter((key) => typeof key === 'string'))].slice(0, MAX_PINS_PER_TAB);
    if (strings.length > 0) clean[tab] = strings;
  }
  return clean;
}

/** A new map with `key` pinned on tab `tab` (appended) or unpinned. */
export function setPinned(pins, tab, key, pinned) {
  const keys = (pins[tab] || []).filter((k) => k !== key);
  if (pinned) keys.push(key);
  const next = { ...pins, [tab]: keys.slice(-MAX_PINS_PER_TAB) };
  if (next[tab].length === 0) delete next[tab];
  return next;
}
