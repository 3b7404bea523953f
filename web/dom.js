/* dom.js -- the two DOM helpers every view uses. Text always goes in through textContent, so a run
 * or tag name made of HTML shows as text. */

/** A new element with an optional class and text. */
export function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A small card button with a tooltip title. */
export function button(text, title, onClick) {
  const b = element('button', 'card-button', text);
  b.type = 'button';
  b.title = title;
  b.addEventListener('click', onClick);
  return b;
}
