/* markdown.js -- a small Markdown parser for the Text tab that can only produce safe output.
 *
 * Clients write the text, so it is untrusted. Instead of rendering HTML and then sanitising it, this
 * parser never produces HTML at all: it returns a tree of plain objects
 *   {tag, attrs?, children: [node | string]}
 * whose tags come from a fixed list (TAGS) and whose only attributes are href/title on links, start
 * on ordered lists, align on table cells and a language class on code. Strings are text: texts.js
 * turns them into Text nodes, so raw HTML in the Markdown (<script>, <img onerror>) shows as the
 * characters it is made of. Link targets pass safeUrl: http, https, mailto and relative URLs only
 * (javascript:, data:, vbscript: and every other scheme are dropped and the link text stays as text).
 * Images become links to the image, never <img>, so a text cannot make the page load anything.
 *
 * Covered: ATX and setext headings, paragraphs, emphasis (* _ ** __), ~~strikethrough~~, `code`,
 * fenced and indented code blocks, nested ordered and unordered lists, blockquotes, horizontal rules,
 * GitHub tables with alignment, links, <autolinks>, bare http(s) URLs, hard breaks, backslash escapes
 * and character references. Pure: no DOM. */

export const TAGS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'pre', 'code', 'blockquote',
  'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'em', 'strong', 'del', 'a', 'br']);

const SAFE_SCHEMES = new Set(['http', 'https', 'mailto']);
const MAX_DEPTH = 32; // nesting beyond this (quotes in quotes...) is shown as text

/** The URL if it is safe to link to (trimmed, tabs and newlines removed as browsers remove them),
 * else null. */
export function safeUrl(url) {
  if (typeof url !== 'string') return null;
  // Browsers drop tabs and newlines anywhere and controls at the ends before they read a scheme
  // ("java\tscript:"); the check drops every control and space, so it sees at least that scheme.
  const checked = url.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  if (checked === '') return null;
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(checked);
  if (scheme && !SAFE_SCHEMES.has(scheme[1].toLowerCase())) return null;
  if (!scheme && /^[^/?#]*:/.test(checked)) return null; // a colon before any path: not a plain relative URL
  return url.replace(/[\t\n\r]/g, '').trim();
}

const NAMED_ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae',
  mdash: '\u2014', ndash: '\u2013', hellip: '\u2026', times: '\u00d7', larr: '\u2190', rarr: '\u2192', deg: '\u00b0' };

function decodeEntity(match, body) {
  if (body[0] === '#') {
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return '\ufffd';
    return String.fromCodePoint(code);
  }
  return Object.hasOwn(NAMED_ENTITIES, body) ? NAMED_ENTITIES[body] : match;
}

const ENTITY = /&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});/g;
const decodeEntities = (text) => text.replace(ENTITY, decodeEntity);

const el = (tag, children = [], attrs) => (attrs ? { tag, attrs, children } : { tag, children });

// ---- blocks --------------------------------------------------------------------------------------

const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`]*?)[ \t]*$/;
const ATX = /^ {0,3}(#{1,6})(?:[ \t]+|$)(.*?)(?:[ \t]+#+)?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)/;
const TABLE_DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const BLANK = /^[ \t]*$/;

const indentOf = (line) => line.match(/^ */)[0].length;

function startsBlock(line) {
  return FENCE.test(line) || ATX.test(line) || HR.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

function splitRow(line) {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells = [];
  let cell = '';
  let inCode = false;
  for (let i = 0; i < row.length; i++) {
    const c = row[i];
    if (c === '\\' && row[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (c === '`') {
      inCode = !inCode;
      cell += c;
    } else if (c === '|' && !inCode) {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  cells.push(cell.trim());
  return cells;
}

function parseTable(lines, i, depth) {
  const header = splitRow(lines[i]);
  const aligns = splitRow(lines[i + 1]).map((spec) => {
    const left = spec.startsWith(':');
    const right = spec.endsWith(':');
    return left && right ? 'center' : right ? 'right' : left ? 'left' : null;
  });
  if (aligns.length !== header.length) return null;
  const cell = (tag, text, k) => el(tag, parseInline(text, depth), aligns[k] ? { align: aligns[k] } : undefined);
  const head = el('thead', [el('tr', header.map((text, k) => cell('th', text, k)))]);
  const rows = [];
  let j = i + 2;
  for (; j < lines.length && !BLANK.test(lines[j]) && lines[j].includes('|') && !startsBlock(lines[j]); j++) {
    const cells = splitRow(lines[j]);
    rows.push(el('tr', header.map((_, k) => cell('td', cells[k] ?? '', k))));
  }
  return { node: el('table', rows.length ? [head, el('tbody', rows)] : [head]), next: j };
}

function parseList(lines, i, depth) {
  const first = LIST_ITEM.exec(lines[i]);
  const ordered = /\d/.test(first[2]);
  const marker = first[2].slice(-1);
  const items = [];
  let loose = false;
  let j = i;
  while (j < lines.length) {
    const m = LIST_ITEM.exec(lines[j]);
    if (!m || /\d/.test(m[2]) !== ordered || m[2].slice(-1) !== marker) break;
    const contentIndent = m[3] === '' || m[3].length > 4 ? m[0].length - m[3].length + 1 : m[0].length;
    const body = [lines[j].slice(m[0].length).replace(/^[ \t]+/, '')];
    j++;
    let sawBlank = false;
    while (j < lines.length) {
      const line = lines[j];
      if (BLANK.test(line)) {
        sawBlank = true;
        body.push('');
        j++;
        continue;
      }
      if (indentOf(line) >= contentIndent) {
        if (sawBlank) loose = true;
        body.push(line.slice(contentIndent));
        sawBlank = false;
        j++;
        continue;
      }
      if (sawBlank || startsBlock(line)) break;
      body.push(line); // a lazy continuation of the item's paragraph
      j++;
    }
    while (body.length && body.at(-1) === '') {
      body.pop();
      const next = j < lines.length ? LIST_ITEM.exec(lines[j]) : null;
      if (next && /\d/.test(next[2]) === ordered && next[2].slice(-1) === marker) loose = true; // a blank between items
    }
    items.push(body);
  }
  const children = items.map((body) => {
    const blocks = parseBlocks(body, depth + 1);
    const tight = !loose ? blocks.flatMap((b) => (b.tag === 'p' ? b.children : [b])) : blocks;
    return el('li', tight);
  });
  const start = ordered ? parseInt(first[2], 10) : 1;
  const node = ordered ? el('ol', children, start !== 1 ? { start } : undefined) : el('ul', children);
  return { node, next: j };
}

/** Block structure of `lines` (no line breaks in them). */
function parseBlocks(lines, depth) {
  const out = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (BLANK.test(line)) {
      i++;
      continue;
    }
    if (depth > MAX_DEPTH) {
      out.push(el('p', [lines.slice(i).join('\n')]));
      break;
    }
    let m = FENCE.exec(line);
    if (m && !(m[1][0] === '`' && m[2].includes('`'))) {
      const fence = m[1];
      const indent = indentOf(line);
      const code = [];
      i++;
      while (i < lines.length) {
        const close = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[i]);
        if (close && close[1][0] === fence[0] && close[1].length >= fence.length) {
          i++;
          break;
        }
        code.push(lines[i].replace(new RegExp(`^ {0,${indent}}`), ''));
        i++;
      }
      const language = decodeEntities(m[2].split(/\s/)[0] || '').replace(/[^\w+#.-]/g, '');
      const text = code.length ? `${code.join('\n')}\n` : '';
      out.push(el('pre', [el('code', [text], language ? { class: `language-${language}` } : undefined)]));
      continue;
    }
    m = ATX.exec(line);
    if (m) {
      out.push(el(`h${m[1].length}`, parseInline(m[2], depth)));
      i++;
      continue;
    }
    if (HR.test(line)) {
      out.push(el('hr'));
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const quoted = [];
      while (i < lines.length && !BLANK.test(lines[i])) {
        if (QUOTE.test(lines[i])) quoted.push(lines[i].replace(QUOTE, ''));
        else if (startsBlock(lines[i])) break;
        else quoted.push(lines[i]);
        i++;
      }
      out.push(el('blockquote', parseBlocks(quoted, depth + 1)));
      continue;
    }
    if (LIST_ITEM.test(line)) {
      const { node, next } = parseList(lines, i, depth);
      out.push(node);
      i = next;
      continue;
    }
    if (indentOf(line) >= 4) {
      const code = [];
      while (i < lines.length && (indentOf(lines[i]) >= 4 || BLANK.test(lines[i]))) code.push(lines[i++].slice(4));
      while (code.length && BLANK.test(code.at(-1))) code.pop();
      out.push(el('pre', [el('code', [`${code.join('\n')}\n`])]));
      continue;
    }
    if (line.includes('|') && i + 1 < lines.length && TABLE_DELIMITER.test(lines[i + 1]) && lines[i + 1].includes('-')) {
      const table = parseTable(lines, i, depth);
      if (table) {
        out.push(table.node);
        i = table.next;
        continue;
      }
    }
    const para = [line];
    i++;
    let heading = 0;
    while (i < lines.length && !BLANK.test(lines[i]) && !startsBlock(lines[i]) || (i < lines.length && SETEXT.test(lines[i]) && !BLANK.test(lines[i]))) {
      const setext = SETEXT.exec(lines[i]);
      if (setext) {
        heading = setext[1][0] === '=' ? 1 : 2;
        i++;
        break;
      }
      if (lines[i].includes('|') && i + 1 < lines.length && TABLE_DELIMITER.test(lines[i + 1])) break;
      para.push(lines[i]);
      i++;
    }
    const text = para.map((l) => l.replace(/^[ \t]+/, '')).join('\n');
    out.push(el(heading ? `h${heading}` : 'p', parseInline(text.replace(/[ \t]+$/, ''), depth)));
  }
  return out;
}

// ---- inlines -------------------------------------------------------------------------------------

const PUNCTUATION = /^[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]$/;
const BARE_URL = /^https?:\/\/[^\s<>"'`]*[^\s<>"'`.,;:!?)\]}*_~]/;

/** Index of `]` closing the `[` at `open`, or -1. */
function closingBracket(text, open) {
  let level = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '`') {
      const run = /^`+/.exec(text.slice(i))[0];
      const end = text.indexOf(run, i + run.length);
      if (end >= 0) i = end + run.length - 1;
    } else if (c === '[') level++;
    else if (c === ']' && --level === 0) return i;
  }
  return -1;
}

/** `(url "title")` at `open`: {url, title, end} or null. */
function linkDestination(text, open) {
  if (text[open] !== '(') return null;
  let i = open + 1;
  while (text[i] === ' ' || text[i] === '\n') i++;
  let url = '';
  if (text[i] === '<') {
    const end = text.indexOf('>', i);
    if (end < 0) return null;
    url = text.slice(i + 1, end);
    i = end + 1;
  } else {
    let level = 0;
    for (; i < text.length; i++) {
      const c = text[i];
      if (c === '\\' && i + 1 < text.length && PUNCTUATION.test(text[i + 1])) {
        url += text[++i];
        continue;
      }
      if (c === ' ' || c === '\n') break;
      if (c === '(') level++;
      if (c === ')' && level-- === 0) break;
      url += c;
    }
  }
  while (text[i] === ' ' || text[i] === '\n') i++;
  let title;
  const quote = text[i];
  if (quote === '"' || quote === "'") {
    const end = text.indexOf(quote, i + 1);
    if (end < 0) return null;
    title = text.slice(i + 1, end);
    i = end + 1;
    while (text[i] === ' ' || text[i] === '\n') i++;
  }
  if (text[i] !== ')') return null;
  return { url: decodeEntities(url), title: title === undefined ? undefined : decodeEntities(title), end: i + 1 };
}

function link(url, title, children) {
  const href = safeUrl(url);
  if (href === null) return children; // an unsafe target: the text stays, the link goes
  const attrs = { href };
  if (title) attrs.title = title;
  return [el('a', children, attrs)];
}

const isSpace = (ch) => ch === undefined || /\s/u.test(ch); // the ends of the text count as space
const isPunct = (ch) => ch !== undefined && /[\p{P}\p{S}]/u.test(ch);

/** CommonMark's flanking rules for the delimiter run text[start .. end): can it open, can it close? */
function flanking(text, start, end) {
  const before = text[start - 1];
  const after = text[end];
  const left = !isSpace(after) && (!isPunct(after) || isSpace(before) || isPunct(before));
  const right = !isSpace(before) && (!isPunct(before) || isSpace(after) || isPunct(after));
  if (text[start] === '_') return { open: left && (!right || isPunct(before)), close: right && (!left || isPunct(after)) };
  return { open: left, close: right };
}

/** Length of the run of text[i] starting at i. */
function runLength(text, i) {
  let j = i;
  while (text[j] === text[i]) j++;
  return j - i;
}

/** Start of the delimiter closing emphasis `delim` opened before `from`, or -1. A closing run must
 * be right-flanking and as long as the opener (a run of three closes either). */
function closingDelimiter(text, from, delim) {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(text.slice(i))[0];
      const end = text.indexOf(run, i + run.length);
      if (end >= 0) i = end + run.length - 1;
      continue;
    }
    if (c !== delim[0]) continue;
    const length = runLength(text, i);
    if (i > from && flanking(text, i, i + length).close && (length === delim.length || length === 3)) {
      return length === 3 ? i + 3 - delim.length : i;
    }
    i += length - 1;
  }
  return -1;
}

/** Inline content of `text` as nodes. */
export function parseInline(text, depth = 0) {
  const out = [];
  let buffer = '';
  const flush = () => {
    if (buffer) out.push(decodeEntities(buffer));
    buffer = '';
  };
  const push = (...nodes) => {
    flush();
    out.push(...nodes);
  };
  if (depth > MAX_DEPTH) return [text];
  for (let i = 0; i < text.length;) {
    const c = text[i];
    const rest = text.slice(i);
    if (c === '\\') {
      if (text[i + 1] === '\n') {
        push(el('br'));
        i += 2;
        continue;
      }
      if (i + 1 < text.length && PUNCTUATION.test(text[i + 1])) {
        flush();
        out.push(text[i + 1]); // escaped: no entity decoding either
        i += 2;
        continue;
      }
    }
    if (c === '\n') {
      if (/ {2,}$/.test(buffer)) {
        buffer = buffer.replace(/ +$/, '');
        push(el('br'));
      } else {
        buffer = buffer.replace(/ +$/, '');
        buffer += '\n';
      }
      i++;
      while (text[i] === ' ') i++;
      continue;
    }
    if (c === '`') {
      const run = /^`+/.exec(rest)[0];
      const end = text.indexOf(run, i + run.length);
      if (end >= 0 && text[end + run.length] !== '`') {
        let code = text.slice(i + run.length, end).replace(/\n/g, ' ');
        if (code.length > 2 && code.startsWith(' ') && code.endsWith(' ') && code.trim()) code = code.slice(1, -1);
        push(el('code', [code]));
        i = end + run.length;
        continue;
      }
      buffer += run;
      i += run.length;
      continue;
    }
    if (c === '!' && text[i + 1] === '[' || c === '[') {
      const open = c === '!' ? i + 1 : i;
      const close = closingBracket(text, open);
      const dest = close >= 0 ? linkDestination(text, close + 1) : null;
      if (dest) {
        const label = text.slice(open + 1, close);
        if (c === '!') push(...link(dest.url, dest.title, [label || dest.url]));
        else push(...link(dest.url, dest.title, parseInline(label, depth + 1)));
        i = dest.end;
        continue;
      }
    }
    if (c === '<') {
      const auto = /^<([a-zA-Z][a-zA-Z0-9+.-]{1,31}:[^\s<>]*)>/.exec(rest) || /^<([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>/.exec(rest);
      if (auto) {
        const target = auto[1].includes(':') ? auto[1] : `mailto:${auto[1]}`;
        push(...link(target, undefined, [auto[1]]));
        i += auto[0].length;
        continue;
      }
    }
    if ((c === 'h' || c === 'H') && (i === 0 || /[\s(*_~]/.test(text[i - 1]))) {
      const bare = BARE_URL.exec(rest);
      if (bare) {
        push(...link(bare[0], undefined, [bare[0]]));
        i += bare[0].length;
        continue;
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      const length = runLength(text, i);
      const usable = c === '~' ? length === 2 : length <= 3;
      if (usable && flanking(text, i, i + length).open) {
        // a run of three opens strong and em together: take the strong part first
        const delim = c === '~' || length >= 2 ? c + c : c;
        const end = closingDelimiter(text, i + length, delim);
        if (end >= 0) {
          const tag = c === '~' ? 'del' : delim.length === 2 ? 'strong' : 'em';
          if (length === 3) buffer += c; // the em part of *** stays as text in this simple parser
          push(el(tag, parseInline(text.slice(i + length, end), depth + 1)));
          i = end + delim.length;
          continue;
        }
      }
      buffer += text.slice(i, i + length);
      i += length;
      continue;
    }
    buffer += c;
    i++;
  }
  flush();
  return out;
}

/** The Markdown as a tree of safe nodes (see the top of the file). */
export function parseMarkdown(text) {
  const lines = String(text).replace(/\r\n?/g, '\n').replace(/\u0000/g, '\ufffd').split('\n')
    .map((line) => line.replace(/^\t+/, (tabs) => '    '.repeat(tabs.length)));
  return parseBlocks(lines, 0);
}
