/* dragzoom.js -- drag-to-zoom along x on a Chart.js chart: a press inside the plot area starts a
 * selection, drawn as the absolutely positioned element `rect` over the canvas; releasing after more
 * than a few pixels reports the selected x range in axis units. A double click asks for a reset. */

const MIN_DRAG_PX = 5;

/** @param {{onZoom: (x0: number, x1: number) => void, onReset: () => void}} handlers */
export function bindDragZoom(canvas, chart, rect, { onZoom, onReset }) {
  let drag = null;
  const clampX = (x) => {
    const area = chart.chartArea;
    return Math.min(area.right, Math.max(area.left, x));
  };
  canvas.addEventListener('pointerdown', (event) => {
    const area = chart.chartArea;
    if (event.button !== 0 || !area) return;
    const { offsetX: x, offsetY: y } = event;
    if (x < area.left || x > area.right || y < area.top || y > area.bottom) return;
    drag = { from: x, to: x };
    canvas.setPointerCapture(event.pointerId);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drag) return;
    drag.to = clampX(event.offsetX);
    const area = chart.chartArea;
    Object.assign(rect.style, {
      left: `${Math.min(drag.from, drag.to)}px`,
      width: `${Math.abs(drag.to - drag.from)}px`,
      top: `${area.top}px`,
      height: `${area.height}px`,
    });
    rect.hidden = Math.abs(drag.to - drag.from) < MIN_DRAG_PX;
  });
  const finish = () => {
    if (!drag) return;
    const { from, to } = drag;
    drag = null;
    rect.hidden = true;
    if (Math.abs(to - from) < MIN_DRAG_PX) return;
    const scale = chart.scales.x;
    onZoom(scale.getValueForPixel(Math.min(from, to)), scale.getValueForPixel(Math.max(from, to)));
  };
  canvas.addEventListener('pointerup', finish);
  canvas.addEventListener('pointercancel', () => {
    drag = null;
    rect.hidden = true;
  });
  canvas.addEventListener('dblclick', () => onReset());
}
