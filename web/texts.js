/* texts.js -- the Text tab: one card per run and tag with its texts, newest step first (the latest
 * STEPS_SHOWN steps, more on request), each rendered from Markdown.
 *
 * The text is untrusted. markdown.js turns it into a tree of whitelisted tags and plain strings;
 * renderMarkdown below builds DOM nodes from that tree with createElement and Text nodes only (no
 * innerHTML anywhere), re-checking every tag against the whitelist and every href with safeUrl, so
 * a <script> in a text shows as characters and a javascript: link is never a link. */

import * as api from './api.js';
import { element } from './dom.js';
import { TAGS, parseMarkdown, safeUrl } from './markdown.js';
import { MediaCard } from './mediacard.js';
import { createRunTagTab } from './runtagtab.js';
import { formatWallTime } from './xaxis.js';

const STEPS_SHOWN = 10;

/** DOM nodes for parseMarkdown's tree. */
export function renderMarkdown(nodes) {
  const fragment = document.createDocumentFragment();
  for (const node of nodes) fragment.append(renderNode(node));
  return fragment;
}

function renderNode(node) {
  if (typeof node === 'string') return document.createTextNode(node);
  if (!TAGS.has(node.tag)) return document.createTextNode(''); // cannot happen: the parser emits TAGS only
  const el = document.createElement(node.tag);
  const attrs = node.attrs || {};
  if (node.tag === 'a') {
    const href = safeUrl(attrs.href);
    if (href === null) return renderChildren(document.createDocumentFragment(), node.children);
    el.setAttribute('href', href);
    el.target = '_blank';
    el.rel = 'noopener noreferrer nofollow';
    if (typeof attrs.title === 'string') el.title = attrs.title;
  }
  if (node.tag === 'ol' && Number.isInteger(attrs.start)) el.start = attrs.start;
  if ((node.tag === 'th' || node.tag === 'td') && ['left', 'center', 'right'].includes(attrs.align)) el.style.textAlign = attrs.align;
  if (node.tag === 'code' && typeof attrs.class === 'string' && /^language-[\w+#.-]+$/.test(attrs.class)) el.className = attrs.class;
  return renderChildren(el, node.children);
}

function renderChildren(parent, children) {
  for (const child of children || []) parent.append(renderNode(child));
  return parent;
}

class TextCard extends MediaCard {
  constructor(tag, run, ctx) {
    super(tag, run, ctx, 'text-card');
    this.slider.el.hidden = true;
    this.slider.update = () => {
      this.slider.el.hidden = true; // every step is listed: no slider
    };
    this.list = element('div', 'text-list');
    this.more = element('button', 'card-button text-more');
    this.more.type = 'button';
    this.more.hidden = true;
    this.more.addEventListener('click', () => {
      this.showAll = true;
      this.requestDraw();
    });
    this.body.append(this.list, this.more);
    this.showAll = false;
    this.shownKey = null;
  }

  async fetchData() {
    const body = await api.getTexts(this.tag, [this.run]);
    return body.series.find((s) => s.run === this.run)?.items || [];
  }

  render() {
    const steps = [...new Set(this.items.map((item) => item.step))].sort((a, b) => b - a);
    const shown = this.showAll ? steps : steps.slice(0, STEPS_SHOWN);
    const key = JSON.stringify([shown, this.items.length, this.items.at(-1)?.wall_time]);
    if (key !== this.shownKey) {
      this.shownKey = key;
      this.list.replaceChildren(...shown.map((step) => this.stepEntry(step)));
    }
    this.more.hidden = shown.length === steps.length;
    this.more.textContent = `Show ${steps.length - shown.length} older step${steps.length - shown.length === 1 ? '' : 's'}`;
    this.setNote(steps.length ? `${steps.length} step${steps.length === 1 ? '' : 's'}` : 'no texts');
  }

  stepEntry(step) {
    const entry = element('article', 'text-entry');
    const items = this.items.filter((item) => item.step === step);
    const head = element('div', 'text-step');
    head.append(element('span', 'text-step-number', `step ${step}`));
    if (typeof items[0]?.wall_time === 'number') head.append(element('span', 'muted', formatWallTime(items[0].wall_time)));
    entry.append(head);
    for (const item of items) {
      const body = element('div', 'markdown');
      body.dataset.index = String(item.index);
      body.append(renderMarkdown(parseMarkdown(item.text)));
      entry.append(body);
    }
    return entry;
  }

  debug() {
    return { ...super.debug(), entries: this.list.children.length };
  }
}

export function createTextsTab(ctx) {
  return createRunTagTab(ctx, {
    cardNoun: ['card', 'cards'],
    id: 'text',
    title: 'Text',
    kind: 'texts',
    filterKey: 'textTagFilter',
    settings: null,
    drawKeys: [],
    emptyText: 'No texts yet. Write some with POST /api/v1/write ("texts") and they will appear here.',
    createCard: (tag, run) => new TextCard(tag, run, ctx),
  });
}
