/* mediacard.js -- what the Images, Tensors and Text cards share: the card frame (tag title, run
 * line, note), a step slider, and the load/draw life cycle runtagtab.js drives (fetch only while on
 * screen, refetch when a write touches the card, redraw on settings changes).
 *
 * A subclass implements fetchItems() -> items of GET /api/v1/images|tensors|texts for its (tag, run)
 * and render(seq) that draws the selected step; after an await, render stops unless seq is still
 * this.drawSeq. Items come in step and index order. */

import { element } from './dom.js';

/** Distinct steps of items, ascending. */
export function stepsOf(items) {
  return [...new Set(items.map((item) => item.step))].sort((a, b) => a - b);
}

/** A step slider with its label: "step 12 (3 of 20)". */
export class StepSlider {
  constructor(onChange) {
    this.steps = [];
    this.el = element('div', 'step-row');
    this.label = element('span', 'step-label');
    this.input = element('input', 'step-slider');
    this.input.type = 'range';
    this.input.min = '0';
    this.input.step = '1';
    this.input.setAttribute('aria-label', 'Step');
    this.input.addEventListener('input', () => {
      this.update();
      onChange(this.step);
    });
    this.el.append(this.label, this.input);
  }

  /** New steps; the slider stays on the step it showed, or on the last one if it showed the last. */
  setSteps(steps) {
    const previous = this.step;
    const atEnd = this.steps.length === 0 || previous === this.steps.at(-1);
    this.steps = steps;
    const keep = steps.indexOf(previous);
    this.input.max = String(Math.max(0, steps.length - 1));
    this.input.value = String(atEnd || keep < 0 ? steps.length - 1 : keep);
    this.update();
  }

  get step() {
    return this.steps.length ? this.steps[Number(this.input.value)] : undefined;
  }

  update() {
    const n = this.steps.length;
    this.input.disabled = n <= 1;
    this.el.hidden = n === 0;
    this.label.textContent = n ? `step ${this.step}` : '';
    this.input.title = n ? `${Number(this.input.value) + 1} of ${n} steps` : '';
  }
}

export class MediaCard {
  constructor(tag, run, ctx, className) {
    this.tag = tag;
    this.run = run;
    this.ctx = ctx;
    this.items = [];
    this.loadSeq = 0;
    this.fetching = false;
    this.drawing = 0;
    this.drawSeq = 0; // a render that awaits checks it is still the latest one
    this.visible = false;
    this.stale = true;
    this.needsDraw = false;
    this.error = null;
    this.drawCount = 0;

    this.el = element('div', `card media-card ${className}`);
    this.el.dataset.tag = tag;
    this.el.dataset.run = run;
    this.head = element('div', 'card-head');
    const title = element('span', 'card-title', tag);
    title.title = tag;
    this.actions = element('span', 'card-actions');
    this.head.append(title, this.actions);
    const runLine = element('div', 'card-run');
    const swatch = element('span', 'swatch');
    swatch.style.backgroundColor = ctx.colorOf(run);
    const runName = element('span', 'run-name', run);
    runName.title = run;
    runLine.append(swatch, runName);
    this.slider = new StepSlider(() => this.requestDraw());
    this.body = element('div', 'media-body');
    this.note = element('div', 'card-note');
    this.el.append(this.head, runLine, this.slider.el, this.body, this.note);
  }

  setVisible(visible) {
    this.visible = visible;
    if (!visible) return;
    if (this.stale) this.load();
    else if (this.needsDraw) this.draw();
  }

  invalidate() {
    this.stale = true;
    if (this.visible) this.load();
  }

  requestDraw() {
    if (this.visible && !this.stale) this.draw();
    else this.needsDraw = true;
  }

  async load() {
    this.stale = false;
    const seq = ++this.loadSeq;
    this.fetching = true;
    try {
      const items = await this.fetchItems();
      if (seq !== this.loadSeq) return;
      this.items = items;
      this.slider.setSteps(stepsOf(items));
      this.error = null;
    } catch (error) {
      if (seq !== this.loadSeq) return;
      this.error = error.message;
    } finally {
      if (seq === this.loadSeq) this.fetching = false;
    }
    this.draw();
  }

  /** Items of the selected step. */
  stepItems() {
    const step = this.slider.step;
    return this.items.filter((item) => item.step === step);
  }

  async draw() {
    this.needsDraw = false;
    const seq = ++this.drawSeq;
    this.drawing++;
    try {
      if (this.error !== null) {
        this.setNote(`cannot load: ${this.error}`, true);
      } else {
        await this.render(seq);
      }
    } catch (error) {
      this.setNote(`cannot draw: ${error.message}`, true);
    } finally {
      this.drawing--;
      this.drawCount++;
    }
  }

  setNote(text, isError = false) {
    this.note.textContent = text;
    this.note.classList.toggle('error', isError);
  }

  /** Fetching or drawing (a draw may fetch bytes): runtagtab.js and the tests wait on this. */
  get loading() {
    return this.fetching || this.drawing > 0;
  }

  debug() {
    return {
      tag: this.tag, run: this.run, visible: this.visible, stale: this.stale, loading: this.loading,
      needsDraw: this.needsDraw, hidden: this.el.hidden, steps: this.slider.steps, step: this.slider.step,
      drawCount: this.drawCount, error: this.error, note: this.note.textContent,
    };
  }

  destroy() {
    this.loadSeq++;
    this.el.remove();
  }
}
