/* plotmath.js -- the arithmetic behind the hand-drawn histogram charts: round tick values, tick
 * labels, and TensorBoard's colour ramp for histogram steps.
 *
 * Ticks are 1, 2 or 5 times a power of ten, as d3's scale.ticks(). The colour ramp is d3's: the run
 * colour brightened for the oldest step and darkened for the newest (L* +-18 in CIE LCh, the K of
 * d3-color), interpolated in HCL, so old histograms are pale and new ones deep, as in TensorBoard's
 * vz-histogram-timeseries. Pure: no DOM. */

/** The tick spacing (1, 2 or 5 x 10^k) giving about `count` ticks over [lo, hi]. */
export function tickStep(lo, hi, count) {
  const raw = Math.abs(hi - lo) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 0;
  const power = 10 ** Math.floor(Math.log10(raw));
  const ratio = raw / power;
  const factor = ratio >= Math.sqrt(50) ? 10 : ratio >= Math.sqrt(10) ? 5 : ratio >= Math.sqrt(2) ? 2 : 1;
  return factor * power;
}

// Tick spacings of a time axis, in seconds: round seconds, minutes, hours, days, a week.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200,
  86400, 172800, 604800];

/** The spacing of about `count` ticks over a time span in seconds: a round unit of time
 * (15 s, 5 min, 6 h...), whole days beyond a week, decimal seconds below one. */
export function timeTickStep(span, count) {
  const raw = Math.abs(span) / Math.max(1, count);
  if (!(raw > 0) || !Number.isFinite(raw)) return 0;
  if (raw < 1) return tickStep(0, Math.abs(span), count);
  for (const step of TIME_STEPS) if (step >= raw) return step;
  return Math.max(7, tickStep(0, Math.abs(span) / 86400, count)) * 86400;
}

/** Round values inside [lo, hi], about `count` of them; `minStep` bounds the spacing from below
 * (1 for steps, which are integers); `stepFor(lo, hi, count)` picks the spacing (tickStep, or
 * timeTicks' time units). @returns {{ticks: number[], step: number}} */
export function niceTicks(lo, hi, count, minStep = 0, stepFor = tickStep) {
  if (!(hi >= lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [], step: 0 };
  if (hi === lo) return { ticks: [lo], step: 0 };
  const step = Math.max(stepFor(lo, hi, count), minStep);
  const ticks = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { ticks, step };
}

/** Ticks of a time axis in seconds (relative or wall time) at round units of time. */
export function timeTicks(lo, hi, count) {
  return niceTicks(lo, hi, count, 0, (a, b, n) => timeTickStep(b - a, n));
}

/** [lo, hi] widened outwards to multiples of the tick spacing, as d3's scale.nice(). */
export function niceDomain(lo, hi, count) {
  const step = tickStep(lo, hi, count);
  if (step === 0) return [lo, hi];
  return [Math.floor(lo / step + 1e-9) * step, Math.ceil(hi / step - 1e-9) * step];
}

/** A value-axis tick label: as many decimals as the spacing needs; exponent form when very large or small. */
export function formatTick(value, step) {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(Math.max(0, Math.min(6, significantDigits(value, step) - 1)));
  const decimals = step > 0 ? Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9))) : 2;
  return value.toFixed(decimals);
}

function significantDigits(value, step) {
  if (!(step > 0)) return 3;
  return Math.max(1, Math.floor(Math.log10(Math.abs(value)) + 1e-9) - Math.floor(Math.log10(step) + 1e-9) + 1);
}

/** A number in a tooltip: 4 significant digits ('-1.235', '0.0123', '1.235e+6'). */
export function formatNumber(value) {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}

/** A (possibly fractional, after rebinning) count: whole from 100 on, else 3 significant digits. */
export function formatCount(value) {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return String(Math.round(value));
  return String(Number(value.toPrecision(3)));
}

// CIE Lab with the D50 white point, as d3-color.
const XN = 0.96422;
const YN = 1;
const ZN = 0.82521;
const T0 = 4 / 29;
const T1 = 6 / 29;
const T2 = 3 * T1 * T1;
const T3 = T1 * T1 * T1;
const K = 18;

const toLinear = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
const fromLinear = (v) => 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
const xyzToLab = (t) => (t > T3 ? Math.cbrt(t) : t / T2 + T0);
const labToXyz = (t) => (t > T1 ? t * t * t : T2 * (t - T0));

/** '#rrggbb' -> {h, c, l} (CIE LCh; h in degrees, NaN for a grey). */
export function hexToHcl(hex) {
  const n = parseInt(hex.slice(1), 16);
  const r = toLinear((n >> 16) & 255);
  const g = toLinear((n >> 8) & 255);
  const b = toLinear(n & 255);
  const y = xyzToLab((0.2225045 * r + 0.7168786 * g + 0.0606169 * b) / YN);
  let x = y;
  let z = y;
  if (r !== g || g !== b) {
    x = xyzToLab((0.4360747 * r + 0.3850649 * g + 0.1430804 * b) / XN);
    z = xyzToLab((0.0139322 * r + 0.0971045 * g + 0.7141733 * b) / ZN);
  }
  const l = 116 * y - 16;
  const a = 500 * (x - y);
  const bb = 200 * (y - z);
  const c = Math.sqrt(a * a + bb * bb);
  let h = c < 1e-6 ? NaN : (Math.atan2(bb, a) * 180) / Math.PI;
  if (h < 0) h += 360;
  return { h, c, l };
}

/** {h, c, l} -> [r, g, b], each 0..255 rounded and clamped. */
export function hclToRgb({ h, c, l }) {
  const hr = ((Number.isNaN(h) ? 0 : h) * Math.PI) / 180;
  const a = Number.isNaN(h) ? 0 : Math.cos(hr) * c;
  const b = Number.isNaN(h) ? 0 : Math.sin(hr) * c;
  const y0 = (l + 16) / 116;
  const x = XN * labToXyz(y0 + a / 500);
  const y = YN * labToXyz(y0);
  const z = ZN * labToXyz(y0 - b / 200);
  const channel = (v) => Math.max(0, Math.min(255, Math.round(fromLinear(v))));
  return [
    channel(3.1338561 * x - 1.6168667 * y - 0.4906146 * z),
    channel(-0.9787684 * x + 1.9161415 * y + 0.033454 * z),
    channel(0.0719453 * x - 0.2289914 * y + 1.4052427 * z),
  ];
}

/**
 * TensorBoard's histogram step colours for a run colour: t = 0 (oldest step) is the colour
 * brightened, t = 1 (newest) darkened, in between interpolated in HCL along the shorter hue arc.
 * @returns {(t: number) => string} t in [0, 1] -> 'rgb(r, g, b)'
 */
export function stepColorRamp(hex) {
  const base = hexToHcl(hex);
  const from = { ...base, l: base.l + K };
  const to = { ...base, l: base.l - K };
  return (t) => {
    const u = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 1));
    let h = base.h;
    if (!Number.isNaN(from.h) && !Number.isNaN(to.h)) {
      let dh = to.h - from.h;
      if (dh > 180) dh -= 360;
      else if (dh < -180) dh += 360;
      h = from.h + dh * u;
    }
    const [r, g, b] = hclToRgb({ h, c: from.c + (to.c - from.c) * u, l: from.l + (to.l - from.l) * u });
    return `rgb(${r}, ${g}, ${b})`;
  };
}

/** Where a step at time `t` sits between the oldest (t0 -> 0) and newest (t1 -> 1) step: the argument
 * of stepColorRamp, so the newest step is drawn darkest in both histogram modes, as in TensorBoard.
 * A single step (t0 = t1) counts as the newest. */
export function stepAge(t, t0, t1) {
  return t1 > t0 ? (t - t0) / (t1 - t0) : 1;
}
