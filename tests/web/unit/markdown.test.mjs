/* markdown.test.mjs -- web/markdown.js builds only whitelisted tags from Markdown: headings, lists,
 * code, tables and links render; raw HTML stays text; javascript: and other unsafe link targets are
 * dropped with the link text kept. */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TAGS, parseInline, parseMarkdown, safeUrl } from '../../../web/markdown.js';

/** Every node of the tree, depth first. */
function* walk(nodes) {
  for (const node of nodes) {
    yield node;
    if (typeof node !== 'string') yield* walk(node.children);
  }
}
const textOf = (nodes) => [...walk(nodes)].filter((n) => typeof n === 'string').join('');
const tagsOf = (nodes) => [...walk(nodes)].filter((n) => typeof n !== 'string').map((n) => n.tag);

test('headings, paragraphs and emphasis', () => {
  assert.deepEqual(parseMarkdown('# Title\n\nSome *em*, **strong**, ~~gone~~ and `x < y`.'), [
    { tag: 'h1', children: ['Title'] },
    { tag: 'p', children: ['Some ', { tag: 'em', children: ['em'] }, ', ', { tag: 'strong', children: ['strong'] }, ', ',
      { tag: 'del', children: ['gone'] }, ' and ', { tag: 'code', children: ['x < y'] }, '.'] },
  ]);
  assert.deepEqual(parseMarkdown('Setext\n===\n\n### Three ###'), [{ tag: 'h1', children: ['Setext'] }, { tag: 'h3', children: ['Three'] }]);
  assert.deepEqual(parseInline('snake_case_name'), ['snake_case_name']);
});

test('nested lists, ordered lists with a start', () => {
  assert.deepEqual(parseMarkdown('- a\n- b\n  - c\n\n3. three\n4. four'), [
    { tag: 'ul', children: [{ tag: 'li', children: ['a'] },
      { tag: 'li', children: ['b', { tag: 'ul', children: [{ tag: 'li', children: ['c'] }] }] }] },
    { tag: 'ol', attrs: { start: 3 }, children: [{ tag: 'li', children: ['three'] }, { tag: 'li', children: ['four'] }] },
  ]);
});

test('fenced and indented code keep their text verbatim', () => {
  assert.deepEqual(parseMarkdown('```python\nif a < b:\n    print("<b>")\n```'), [
    { tag: 'pre', children: [{ tag: 'code', attrs: { class: 'language-python' }, children: ['if a < b:\n    print("<b>")\n'] }] },
  ]);
  assert.deepEqual(parseMarkdown('    x = 1\n    y = 2'), [{ tag: 'pre', children: [{ tag: 'code', children: ['x = 1\ny = 2\n'] }] }]);
  // a language with odd characters cannot smuggle a class
  const [pre] = parseMarkdown('```js" onmouseover="x\ncode\n```');
  assert.match(pre.children[0].attrs.class, /^language-[\w+#.-]+$/);
});

test('tables with alignment', () => {
  const [table] = parseMarkdown('| name | value |\n|:-----|------:|\n| lr | 0.1 |\n| `a|b` | 2 |');
  assert.equal(table.tag, 'table');
  const [thead, tbody] = table.children;
  assert.deepEqual(thead.children[0].children.map((th) => [th.attrs.align, textOf(th.children)]), [['left', 'name'], ['right', 'value']]);
  assert.deepEqual(tbody.children.map((tr) => tr.children.map((td) => textOf([td]))), [['lr', '0.1'], ['a|b', '2']]);
});

test('blockquotes and rules', () => {
  assert.deepEqual(parseMarkdown('> quoted *text*\n\n---'), [
    { tag: 'blockquote', children: [{ tag: 'p', children: ['quoted ', { tag: 'em', children: ['text'] }] }] },
    { tag: 'hr', children: [] },
  ]);
});

test('raw HTML stays text: a <script> is characters, never an element', () => {
  const nodes = parseMarkdown('<script>window.__xss = 1</script>\n\n<img src=x onerror="alert(1)">\n\n**<b>bold</b>**');
  assert.ok(tagsOf(nodes).every((tag) => TAGS.has(tag)));
  assert.ok(!tagsOf(nodes).includes('script') && !tagsOf(nodes).includes('img'));
  assert.match(textOf(nodes), /<script>window\.__xss = 1<\/script>/);
  assert.match(textOf(nodes), /<img src=x onerror="alert\(1\)">/);
});

test('links: http(s), mailto and relative targets are kept', () => {
  assert.deepEqual(parseInline('[docs](https://example.com/a_(b) "Docs")'), [
    { tag: 'a', attrs: { href: 'https://example.com/a_(b)', title: 'Docs' }, children: ['docs'] },
  ]);
  assert.deepEqual(parseInline('<https://x.org>'), [{ tag: 'a', attrs: { href: 'https://x.org' }, children: ['https://x.org'] }]);
  assert.deepEqual(parseInline('see https://x.org/y.'), ['see ', { tag: 'a', attrs: { href: 'https://x.org/y' }, children: ['https://x.org/y'] }, '.']);
  assert.equal(safeUrl('#section'), '#section');
  assert.equal(safeUrl('../runs?x=1'), '../runs?x=1');
  assert.equal(safeUrl('mailto:a@b.c'), 'mailto:a@b.c');
});

test('links: javascript:, data:, vbscript: and disguised schemes are dropped, their text kept', () => {
  for (const target of ['javascript:alert(1)', 'JavaScript:alert(1)', ' javascript:alert(1)', 'java\tscript:alert(1)',
    'java\nscript:alert(1)', '\u0001javascript:alert(1)', '&#106;avascript:alert(1)', 'data:text/html,<script>x</script>',
    'vbscript:msgbox(1)', 'file:///etc/passwd']) {
    const nodes = parseInline(`[click](${target.replace(/\n/g, '')})`);
    assert.ok(!tagsOf(nodes).includes('a'), `${JSON.stringify(target)} made a link`);
    assert.equal(textOf(nodes), 'click');
    if (!target.startsWith('&')) assert.equal(safeUrl(target), null, JSON.stringify(target));
  }
  assert.ok(!tagsOf(parseInline('<javascript:alert(1)>')).includes('a'));
  assert.ok(!tagsOf(parseInline('![x](javascript:alert(1))')).includes('a'));
});

test('images become links to the image, never <img>', () => {
  assert.deepEqual(parseInline('![a cat](https://x.org/cat.png)'), [{ tag: 'a', attrs: { href: 'https://x.org/cat.png' }, children: ['a cat'] }]);
});

test('escapes, entities and hard breaks', () => {
  assert.deepEqual(parseInline('\\*not em\\* &lt;b&gt; &amp;amp; &#x41;'), ['*', 'not em', '*', ' <b> &amp; A']);
  assert.deepEqual(parseInline('a  \nb\\\nc'), ['a', { tag: 'br', children: [] }, 'b', { tag: 'br', children: [] }, 'c']);
});

test('deep nesting stops instead of recursing forever', () => {
  const nodes = parseMarkdown('>'.repeat(5000) + ' deep');
  assert.match(textOf(nodes), /deep/);
  assert.doesNotThrow(() => parseMarkdown('['.repeat(20000) + ']'.repeat(20000)));
  assert.doesNotThrow(() => parseMarkdown('*a '.repeat(3000)));
});
