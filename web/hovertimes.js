/* hovertimes.js -- the wall times a scalar card's value table needs while its chart is over steps.
 *
 * A chart over steps is fetched without wall times (they are most of a reduced answer's bytes), yet the
 * value table shows each run's relative time at the hovered step: the wall time there minus the wall
 * time of the run's first point (as over a time axis, valuetable.js). So once the mouse rests
 * (HOVER_DEBOUNCE_MS) the card asks for just those points: one small request per distinct hovered step
 * (every run hovered at it), and each run's first point once. Answers are kept per (run, step); a cell
 * stays blank until its own answer is there, never showing another step's time. An answer calls back
 * only when it holds a point of the hover shown now, so a late answer for an earlier hover redraws
 * nothing; forget() drops everything (the card fetched its data again: a step may have been rewritten,
 * a run deleted and written anew), and answers asked for before it are thrown away.
 *
 * Pure: the fetching is handed in, no DOM. */

export const HOVER_DEBOUNCE_MS = 100;

/** The key of a run's first point: steps are integers, so no step's key can be it. */
const FIRST = 'first';
const keyOf = (run, step) => JSON.stringify([run, step]);

export class HoverWallTimes {
  /**
   * @param {(runs: string[], step: number|null) => Promise<Map<string, number>>} fetchWallTimes per run
   *   the wall time of its point at `step`, or of its first point when `step` is null; a run without
   *   such a point is left out
   */
  constructor(fetchWallTimes, delayMs = HOVER_DEBOUNCE_MS) {
    this.fetchWallTimes = fetchWallTimes;
    this.delayMs = delayMs;
    this.known = new Map();   // key -> wall time (NaN: the run has no point there)
    this.asked = new Set();   // keys asked for, answer not in yet
    this.shown = new Set();   // keys the hover shown now needs
    this.generation = 0;      // bumped by forget(): older answers are dropped
    this.timer = null;
    this.waiting = null;      // step (null: first points) -> runs, to ask for when the timer fires
  }

  /** Seconds from the run's first point to its point at `step`; NaN until both are known. */
  relative(run, step) {
    return (this.known.get(keyOf(run, step)) ?? NaN) - (this.known.get(keyOf(run, FIRST)) ?? NaN);
  }

  /**
   * The mouse is over these points now ([] when it left): after the debounce, ask for the wall times
   * not known nor asked yet; `onAnswer` is called when an answer brings one the current hover needs.
   * @param {{run: string, step: number}[]} points
   */
  hover(points, onAnswer) {
    this.cancelTimer();
    this.shown = new Set(points.flatMap(({ run, step }) => [keyOf(run, step), keyOf(run, FIRST)]));
    const missing = new Map(); // step (null: the first point) -> runs
    const want = (run, step) => {
      const key = keyOf(run, step ?? FIRST);
      if (this.known.has(key) || this.asked.has(key)) return;
      this.asked.add(key);
      if (!missing.has(step)) missing.set(step, []);
      missing.get(step).push(run);
    };
    for (const { run, step } of points) {
      want(run, null);
      want(run, step);
    }
    if (missing.size === 0) return;
    this.waiting = missing;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.waiting = null;
      for (const [step, runs] of missing) this.ask(runs, step, onAnswer);
    }, this.delayMs);
  }

  /** A move before the debounce ran out: what it was to ask for is not asked (nor marked so). */
  cancelTimer() {
    clearTimeout(this.timer);
    this.timer = null;
    this.waiting?.forEach((runs, step) => runs.forEach((run) => this.asked.delete(keyOf(run, step ?? FIRST))));
    this.waiting = null;
  }

  async ask(runs, step, onAnswer) {
    const generation = this.generation;
    const keys = runs.map((run) => keyOf(run, step ?? FIRST));
    let times = null;
    try {
      times = await this.fetchWallTimes(runs, step);
    } catch {
      times = null; // the cells stay blank; the next hover asks again
    }
    if (generation !== this.generation) return;
    keys.forEach((key) => this.asked.delete(key));
    if (times === null) return;
    runs.forEach((run, i) => this.known.set(keys[i], times.get(run) ?? NaN));
    if (keys.some((key) => this.shown.has(key))) onAnswer();
  }

  /** Drops every known wall time and every answer still to come (the card's data changed). */
  forget() {
    this.cancelTimer();
    this.generation += 1;
    this.known.clear();
    this.asked.clear();
  }
}
