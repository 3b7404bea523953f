/* runselector.js -- the run list in the sidebar: colour, tick box and name of each run, a regex
 * filter and a tick-all box. The colour is a colour picker: a picked colour is the run's on every tab,
 * remembered (state.runColors), until its reset button gives the run its assigned colour back. It
 * renders from app state and changes it only through ctx.setState.
 * Run names are untrusted: they go in as text. */

import { element, filterInput, showFilterValidity } from './dom.js';
import { makeMatcher } from './filter.js';

export function createRunSelector(ctx) {
  const { state } = ctx;
  const el = element('section', 'panel run-selector');
  el.append(element('h3', 'panel-title', 'Runs'));

  const filter = filterInput('filter run-filter', 'Filter runs (regex)', 'Filter runs (regular expression)',
    (runFilter) => ctx.setState({ runFilter }));

  const allLabel = element('label', 'run-all');
  const all = element('input');
  all.type = 'checkbox';
  const count = element('span', 'run-count');
  allLabel.append(all, element('span', null, 'All runs'), count);
  all.addEventListener('change', () => {
    const deselected = new Set(state.deselected);
    for (const name of visibleNames()) {
      if (all.checked) deselected.delete(name);
      else deselected.add(name);
    }
    ctx.setState({ deselected });
  });

  const list = element('ul', 'run-list');
  const empty = element('p', 'muted', 'No runs yet.');
  el.append(filter, allLabel, list, empty);

  function visibleNames() {
    const matcher = makeMatcher(state.runFilter);
    return state.runs.map((r) => r.name).filter((name) => matcher.test(name));
  }

  function render() {
    const matcher = makeMatcher(state.runFilter);
    showFilterValidity(filter, matcher);
    const names = visibleNames();
    list.replaceChildren(...names.map((name) => {
      const item = element('li', 'run-item');
      const label = element('label');
      const box = element('input');
      box.type = 'checkbox';
      box.checked = !state.deselected.has(name);
      box.addEventListener('change', () => {
        const deselected = new Set(state.deselected);
        if (box.checked) deselected.delete(name);
        else deselected.add(name);
        ctx.setState({ deselected });
      });
      // The swatch holds a colour input laid invisibly over it: a click or Enter opens the picker.
      const swatch = element('span', 'swatch');
      swatch.style.backgroundColor = ctx.colorOf(name);
      const picker = element('input', 'run-color');
      picker.type = 'color';
      picker.value = ctx.colorOf(name);
      picker.setAttribute('aria-label', `Colour of run ${name}`);
      picker.title = 'Pick this run\'s colour';
      picker.addEventListener('change', () => ctx.setState({ runColors: { ...state.runColors, [name]: picker.value } }));
      swatch.append(picker);
      const text = element('span', 'run-name', name);
      text.title = name;
      label.append(box, swatch, text);
      item.append(label);
      if (state.runColors[name]) {
        const reset = element('button', 'run-color-reset', '\u21ba');
        reset.type = 'button';
        reset.title = 'Give this run its assigned colour back';
        reset.setAttribute('aria-label', `Reset the colour of run ${name}`);
        reset.addEventListener('click', () => {
          const { [name]: _, ...runColors } = state.runColors;
          ctx.setState({ runColors });
        });
        item.append(reset);
      }
      return item;
    }));
    const ticked = names.filter((name) => !state.deselected.has(name)).length;
    all.checked = names.length > 0 && ticked === names.length;
    all.indeterminate = ticked > 0 && ticked < names.length;
    count.textContent = `${ticked} / ${names.length}`;
    empty.hidden = state.runs.length > 0;
    allLabel.hidden = state.runs.length === 0;
  }

  return { el, render };
}
