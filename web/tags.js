/* tags.js -- tag names grouped the way the dashboard lays out cards.
 *
 * A tag's group is the part before its first '/' ("train/loss" -> "train"); a tag without '/' is
 * a group of its own. Groups and the tags in them are sorted naturally: digits compare as numbers, so
 * "conv/0, conv/3, conv/11" and not "conv/0, conv/11, conv/3". Pure: no DOM. */

const CHUNKS = /(\d+)/;

/** Natural order: runs of digits compare by value (then by length, so "01" and "1" stay apart), the
 * text between by UTF-16 code units, as Array.prototype.sort does, so the order is the same in every
 * locale. */
export function naturalCompare(a, b) {
  const x = a.split(CHUNKS);
  const y = b.split(CHUNKS);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    if (i % 2 === 1) { // split puts the captured digit runs at the odd indexes
      const diff = Number(x[i]) - Number(y[i]) || x[i].length - y[i].length;
      if (diff !== 0) return diff;
    }
    return x[i] < y[i] ? -1 : 1;
  }
  return x.length - y.length;
}

export function groupOf(tag) {
  const slash = tag.indexOf('/');
  return slash < 0 ? tag : tag.slice(0, slash);
}

/** @param {Iterable<string>} tags  @returns {{name: string, tags: string[]}[]} */
export function groupTags(tags) {
  const groups = new Map();
  for (const tag of [...new Set(tags)].sort(naturalCompare)) {
    const name = groupOf(tag);
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name).push(tag);
  }
  return [...groups.keys()].sort(naturalCompare).map((name) => ({ name, tags: groups.get(name) }));
}

/** Tags of one kind across runs, from GET /api/v1/tags: {runs: {run: {scalars: {tag: info}}}}. */
export function tagsOfKind(tagsByRun, kind) {
  const all = new Set();
  for (const kinds of Object.values(tagsByRun)) {
    for (const tag of Object.keys(kinds[kind] || {})) all.add(tag);
  }
  return [...all].sort(naturalCompare);
}

/** Runs (in the order given) that have `tag` of `kind`. */
export function runsWithTag(tagsByRun, kind, tag, runNames) {
  return runNames.filter((run) => tagsByRun[run]?.[kind]?.[tag] !== undefined);
}
