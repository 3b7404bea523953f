/* mediacard.js -- what the Images, Tensors and Text cards share: the card frame (tag title, run
 * line, note), a step slider, and the load/draw life cycle of lazycard.js that runtagtab.js drives
 * (fetch only while on screen, refetch when a write touches the card, redraw on settings changes).
 * Unlike the chart cards, drawing may itself fetch (a tensor's bytes, an image to overlay), so draw()
 * is async and the card counts as loading until the last draw has finished.
 *
 * A subclass implements fetchData() -> items of GET /api/v1/images|tensors|texts for its (tag, run)
 * and render(seq) that draws the selected step; after an await, render stops unless seq is still
 * this.drawSeq. Items come in step and index order. */

import { cardFrame, runLine } from './cardframe.js';
import { element } from './dom.js';
import { LazyCard } from './lazycard.js';

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

export class MediaCard extends LazyCard {
  constructor(tag, run, ctx, className) {
    super();
    this.tag = tag;
    this.run = run;
    this.ctx = ctx;
    this.items = [];
    this.drawing = 0;
    this.drawSeq = 0; // a render that awaits checks it is still the latest one
    this.drawCount = 0;

    const { el, head, actions } = cardFrame(`card media-card ${className}`, tag);
    this.el = el;
    this.el.dataset.run = run;
    this.head = head;
    this.actions = actions;
    this.slider = new StepSlider(() => this.requestDraw());
    this.body = element('div', 'media-body');
    this.note = element('div', 'card-note');
    this.el.append(this.head, runLine(run, ctx.colorOf(run)), this.slider.el, this.body, this.note);
  }

  receive(items) {
    this.items = items;
    this.slider.setSteps(stepsOf(items));
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

  /** Fetching or drawing (a draw may fetch bytes): the tabs' idle() and the tests wait on this. */
  get loading() {
    return this.fetching || this.drawing > 0;
  }

  debug() {
    return {
      tag: this.tag, run: this.run, ...this.lifecycle(), hidden: this.el.hidden, steps: this.slider.steps, step: this.slider.step,
      drawCount: this.drawCount, error: this.error, note: this.note.textContent,
    };
  }

  destroy() {
    super.destroy();
    this.el.remove();
  }
}
