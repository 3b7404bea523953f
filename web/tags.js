/* tags.js -- tag names grouped the way the dashboard lays out cards.
 *
 * A tag's group is the part before its first '/' ("train/loss" -> "train"); a tag without '/' is
 * a group of its own. Groups and the tags in them are sorted. Pure: no DOM. */

export function groupOf(tag) {
  const slash = tag.indexOf('/');
  return slash < 0 ? tag : tag.slice(0, slash);
}

/** @param {Iterable<string>} tags  @returns {{name: string, tags: string[]}[]} */
export function groupTags(tags) {
  const groups = new Map();
  for (const tag of [...new Set(tags)].sort()) {
    const name = groupOf(tag);
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(tag);
  }
  return [...groups.keys()].sort().map((name) => ({ name, tags: groups.get(name) }));
}

/** Tags of one kind across runs, from GET /api/v1/tags: {runs: {run: {scalars: {tag: info}}}}. */
export function tagsOfKind(tagsByRun, kind) {
  const all = new Set();
  for (const kinds of Object.values(tagsByRun)) {
    for (const tag of Object.keys(kinds[kind] || {})) all.add(tag);
  }
  return [...all].sort();
}

/** Runs (in the order given) that have `tag` of `kind`. */
export function runsWithTag(tagsByRun, kind, tag, runNames) {
  return runNames.filter((run) => tagsByRun[run]?.[kind]?.[tag] !== undefined);
}
