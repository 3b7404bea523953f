/* runsummaries.js -- the run summaries (last, min and max of chosen scalar tags, GET /api/v1/hparams)
 * that the HParams tab and the Runs table's metric columns show, fetched once for both.
 *
 * A load for the tags already loaded is answered from what is held unless it must be fresh: after
 * writes to one of those tags (or writes that may have touched anything). Concurrent loads of the same
 * tags share one request; a fresh one supersedes a request in flight (only the newest answer is kept). */

import * as api from './api.js';

/** Whether write events (app.js' `writes`; null: anything may have changed) touched one of `tags`. */
export function writesTouch(writes, tags) {
  if (writes === null || writes === undefined) return true;
  const wanted = new Set(tags);
  return writes.some((write) => write.more_tags || (write.tags || []).some((tag) => wanted.has(tag)));
}

export function createSummaryLoader(fetchSummaries = api.getRunSummaries) {
  let loadedKey = null;
  let summaries = new Map();
  let pending = null; // {key, promise}

  return {
    /** @returns {Map<string, object>} run name -> {tag: summary}, as last loaded */
    current: () => summaries,
    loading: () => pending !== null,
    /** The summaries of `tags` for every run, fetched unless held and not `fresh`. */
    async load(tags, fresh) {
      const key = JSON.stringify(tags);
      if (tags.length === 0) {
        loadedKey = key;
        summaries = new Map();
        return summaries;
      }
      // A fresh load supersedes one in flight, which may have been sent before the writes committed.
      if (!fresh && pending && pending.key === key) return pending.promise;
      if (!fresh && key === loadedKey) return summaries;
      const request = { key, promise: null };
      pending = request;
      request.promise = (async () => {
        try {
          const result = await fetchSummaries(tags);
          if (pending === request) {
            summaries = result;
            loadedKey = key;
          }
          return result;
        } finally {
          if (pending === request) pending = null;
        }
      })();
      return request.promise;
    },
  };
}

/** The one loader the tabs share. */
export const runSummaries = createSummaryLoader();
