/* api.js -- every request the dashboard makes to vizd (docs/API.md); no other module calls fetch
 * or opens an EventSource.
 *
 * Failed requests throw an Error carrying the server's JSON error message, so a card can show it.
 * vizd answers at most MAX_RUNS_PER_REQUEST runs per read (more is a 400 naming run) and URLs of at most
 * 32 KiB (414 beyond), so reads of a tag over many runs are split into requests of at most that many
 * runs and RUNS_QUERY_BYTES of run= parameters, sent together, and their series joined in the order of
 * the runs asked for. Scalar charts read the binary columnar form (columns.js decodes it). */

import { COLUMNS_MEDIA_TYPE, decodeColumns } from './columns.js';

/** vizd's limit on run= values per request (docs/API.md, "Runs per read"). */
export const MAX_RUNS_PER_REQUEST = 256;
/** The run= parameters of one request stay under this many bytes, leaving room in vizd's 32 KiB URL. */
export const RUNS_QUERY_BYTES = 24 * 1024;

/** The bytes `&run=NAME` takes in a URL (URLSearchParams encodes as encodeURIComponent does, but a
 * space as "+", which is shorter). */
function runParamBytes(run) {
  return 5 + encodeURIComponent(run).length;
}

/**
 * runs cut into consecutive chunks of at most `size` runs and `maxBytes` of run= parameters (never an
 * empty chunk; [] for no runs; a run too long for any chunk alone still gets one of its own).
 */
export function chunkRuns(runs, size = MAX_RUNS_PER_REQUEST, maxBytes = RUNS_QUERY_BYTES) {
  const chunks = [];
  let chunk = [];
  let bytes = 0;
  for (const run of runs) {
    const runBytes = runParamBytes(run);
    if (chunk.length && (chunk.length === size || bytes + runBytes > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(run);
    bytes += runBytes;
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/** fetch, throwing an Error with vizd's JSON error message (and .status) unless the answer is a 2xx. */
async function send(method, path, params, accept) {
  const url = new URL(path, window.location.href);
  for (const [key, value] of params || []) url.searchParams.append(key, String(value));
  const response = await fetch(url, { method, headers: { Accept: accept } });
  if (response.ok) return response;
  let body = null;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = null;
  }
  const error = new Error(body?.error?.message || `${method} ${url.pathname}: HTTP ${response.status}`);
  error.status = response.status;
  throw error;
}

/** A JSON answer (null when empty or not JSON). */
async function request(method, path, params) {
  const text = await (await send(method, path, params, 'application/json')).text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null;
  }
}

/** A binary columnar answer (GET /api/v1/scalars?format=binary), decoded: {tag, series}. */
async function requestColumns(method, path, params) {
  return decodeColumns(await (await send(method, path, params, COLUMNS_MEDIA_TYPE)).arrayBuffer());
}

/**
 * GET `path` for one tag and many runs: one request per chunk of runs, the answers' series joined.
 * `extra` holds the other query parameters; `read` makes one request (a JSON one by default). With no
 * runs, one request (vizd answers its error).
 */
async function requestPerRunChunk(path, tag, runs, extra = [], read = request) {
  const chunks = runs.length ? chunkRuns(runs) : [[]];
  const answers = await Promise.all(chunks.map((chunk) =>
    read('GET', path, [['tag', tag], ...chunk.map((run) => ['run', run]), ...extra])));
  return { ...answers[0], series: answers.flatMap((answer) => answer.series) };
}

/** @returns {Promise<object[]>} runs sorted by name: {name, description, hparams, created_at, updated_at, counts} */
export async function listRuns() {
  return (await request('GET', 'api/v1/runs')).runs;
}

/**
 * Every page of GET /api/v1/tags (at most 10,000 series each), merged.
 * @returns {Promise<object>} {run: {kind: {tag: {count, first_step, last_step, ...}}}}
 */
export async function listTags(kind) {
  const runs = {};
  let after = null;
  do {
    const params = kind ? [['kind', kind]] : [];
    if (after !== null) params.push(['after', after]);
    const page = await request('GET', 'api/v1/tags', params);
    for (const [run, kinds] of Object.entries(page.runs)) {
      runs[run] ??= {};
      for (const [name, tags] of Object.entries(kinds)) Object.assign((runs[run][name] ??= {}), tags);
    }
    after = page.next ?? null;
  } while (after !== null);
  return runs;
}

/** vizd's limit on tag= values of one GET /api/v1/hparams. */
export const MAX_SUMMARY_TAGS = 64;

/**
 * GET /api/v1/hparams for every run and the scalar tags `tags` (at least one): per run its hparams and
 * per tag {count, last, min, max}. More tags than one request takes are asked in several, joined.
 * @returns {Promise<Map<string, object>>} run name -> {tag: {count, last, min, max}}
 */
export async function getRunSummaries(tags) {
  const answers = await Promise.all(chunkRuns(tags, MAX_SUMMARY_TAGS).map((chunk) =>
    request('GET', 'api/v1/hparams', chunk.map((tag) => ['tag', tag]))));
  const summaries = new Map();
  for (const answer of answers) {
    for (const run of answer.runs) Object.assign(summaries.get(run.name) ?? summaries.set(run.name, {}).get(run.name), run.scalars);
  }
  return summaries;
}

/**
 * Per run the wall time of its first point in [start, end] (default: the whole series): the binary
 * columnar answer with only wall times, reduced to one bucket, so at most 4 points per run whose first is the
 * range's first. The value table over a step axis asks this for one hovered step (start = end) and
 * for each run's first point (hovertimes.js).
 * @returns {Promise<Map<string, number>>} run -> wall time; a run with no point in the range is left out
 */
export async function getFirstWallTimes(tag, runs, { start, end } = {}) {
  const params = [['points', 1], ['format', 'binary'], ['fields', 'wall_time']];
  if (start !== undefined) params.push(['start', start]);
  if (end !== undefined) params.push(['end', end]);
  const answer = await requestPerRunChunk('api/v1/scalars', tag, runs, params, requestColumns);
  const times = new Map();
  for (const s of answer.series) if (s.wallTimes.length > 0) times.set(s.run, s.wallTimes[0]);
  return times;
}

/**
 * The points a chart draws, as columns: the binary columnar answer (exact, and under half the bytes of
 * JSON), decoded straight into one Float64Array per column.
 * @param {string} tag  @param {string[]} runs
 * @param {{points?: number, start?: number, end?: number, wallTimes?: boolean}} range points (1 to
 *   100,000; server default 1000) per run after M4 reduction; wall times only when `wallTimes` (a chart
 *   over steps does not need them)
 * @returns {Promise<{tag, series: {run, total, sampled, steps: Float64Array, values: Float64Array,
 *   wallTimes: Float64Array|null}[]}>} wallTimes null when not asked
 */
export async function getScalars(tag, runs, { points, start, end, wallTimes = true } = {}) {
  const params = [];
  if (points !== undefined) params.push(['points', points]);
  if (start !== undefined) params.push(['start', start]);
  if (end !== undefined) params.push(['end', end]);
  params.push(['format', 'binary'], ['fields', wallTimes ? 'step,value,wall_time' : 'step,value']);
  return requestPerRunChunk('api/v1/scalars', tag, runs, params, requestColumns);
}

/**
 * Every point of a tag (a download), in the row form, which vizd streams a block at a time.
 * @returns {Promise<{tag, series: {run, total, sampled, points: [step, wall_time, value][]}[]}>} values
 *   NaN and the infinities as the strings "NaN", "Infinity", "-Infinity"
 */
export async function getEveryScalar(tag, runs) {
  return requestPerRunChunk('api/v1/scalars', tag, runs, [['points', 0]]);
}

/**
 * @param {string} tag  @param {string[]} runs
 * @param {{steps?: number}} options at most `steps` steps (server default 100, evenly spread, first
 *   and last kept); steps=0 means every step
 * @returns {Promise<{tag, series: {run, total, steps: {step, wall_time, min, max, num, sum,
 *   sum_squares, buckets: [left, right, count][]}[]}[]}>}
 */
export async function getHistograms(tag, runs, { steps } = {}) {
  return requestPerRunChunk('api/v1/histograms', tag, runs, steps !== undefined ? [['steps', steps]] : []);
}

/**
 * Like getHistograms, but each step carries "percentiles": [[basis_point, value] x 9] at basis
 * points 0, 668, 1587, 3085, 5000, 6915, 8413, 9332, 10000 instead of buckets.
 * @returns {Promise<{tag, series: {run, total, steps: {step, wall_time, percentiles}[]}[]}>}
 */
export async function getDistributions(tag, runs, { steps } = {}) {
  return requestPerRunChunk('api/v1/distributions', tag, runs, steps !== undefined ? [['steps', steps]] : []);
}

/**
 * GET /api/v1/images|tensors|texts for one tag: per run the items in step and index order.
 * Images carry {step, wall_time, index, width, height, type, url}; tensors {.., shape, dtype, min,
 * max, display, url}; texts {.., text}.
 * @returns {Promise<{tag, series: {run, items: object[]}[]}>}
 */
export async function getImages(tag, runs) {
  return requestPerRunChunk('api/v1/images', tag, runs);
}

export async function getTensors(tag, runs) {
  return requestPerRunChunk('api/v1/tensors', tag, runs);
}

export async function getTexts(tag, runs) {
  return requestPerRunChunk('api/v1/texts', tag, runs);
}

/** An item's blob URL ("/api/v1/blobs/<sha256 hex>") resolved like every other request, relative to the page. */
export function blobSrc(url) {
  return new URL(String(url).replace(/^\/+/, ''), window.location.href).href;
}

/** The raw bytes at an item's blob URL (a tensor's little-endian values). */
export async function getBlobBytes(url) {
  const response = await fetch(blobSrc(url));
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return response.arrayBuffer();
}

/** The URL of a part of a tensor item's blob for getBlobBytes (it also names the part in a card's cache):
 * channels [start, end) sliced by the server (?shape=&channels=START:END[&dtype=float64]), given `page`;
 * every plane reduced to at most size x size by area averaging (&size=N, float32), given `size`. */
export function tensorPartUrl(item, { page = null, size = null } = {}) {
  const dtype = item.dtype === 'float64' ? '&dtype=float64' : '';
  const channels = page ? `&channels=${page.start}:${page.end}` : '';
  const tiles = size ? `&size=${size}` : '';
  return `${item.url}?shape=${item.shape.join(',')}${channels}${tiles}${dtype}`;
}

/**
 * The run's model graph as posted plus its computed summary. Throws with status 404 when the run has
 * no graph (or does not exist).
 * @returns {Promise<{run, graph: {model, inputs, nodes, edges, repr}, summary: {depth, columns, rows, totals}}>}
 */
export async function getGraph(run) {
  return request('GET', 'api/v1/graph', [['run', run]]);
}

/** torchinfo's summary table as text, rows deeper than `depth` folded into their parent. */
export async function getGraphSummaryText(run, depth) {
  const url = new URL('api/v1/graph/summary', window.location.href);
  url.searchParams.append('run', run);
  url.searchParams.append('depth', String(depth));
  url.searchParams.append('format', 'text');
  const response = await fetch(url);
  const text = await response.text();
  if (!response.ok) {
    let message = `GET ${url.pathname}: HTTP ${response.status}`;
    try {
      message = JSON.parse(text).error.message || message;
    } catch {
      // not a JSON error: keep the status line
    }
    throw new Error(message);
  }
  return text;
}

export async function deleteRun(run) {
  return request('DELETE', 'api/v1/runs', [['run', run]]);
}

/**
 * Calls onWrite({run, kinds, tags, last_step}) after every committed write, and onDelete({run}) after a
 * run is deleted (by this page or any other client). The browser reconnects by itself when the stream
 * drops; onOpen runs on every (re)connection so the caller can catch up.
 * @returns {() => void} closes the stream
 */
export function subscribeWrites(onWrite, onOpen, onDelete) {
  const source = new EventSource('api/v1/events');
  const listen = (name, handler) => source.addEventListener(name, (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch {
      return;
    }
    handler(data);
  });
  listen('write', onWrite);
  if (onDelete) listen('delete', onDelete);
  if (onOpen) source.addEventListener('open', onOpen);
  return () => source.close();
}
