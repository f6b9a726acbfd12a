/**
 * A live chart of one resource: used (filled) and total (dashed) over the last minutes,
 * drawn in SVG, with the current value as text beside it.
 */
import type { JSX } from "preact";

export interface Point {
  /** Epoch ms (the server's clock). */
  t: number;
  used: number;
  total: number;
}

export interface ChartProps {
  title: string;
  points: readonly Point[];
  /** The right edge of the chart (the newest sample's time). */
  end: number;
  windowMs: number;
  format: (n: number) => string;
  /** Said after the values ("CPUs"); none for bytes. */
  unit?: string;
}

const WIDTH = 300;

function minutes(ms: number): string {
  const m = ms / 60_000;
  return Number.isInteger(m) ? `${m} min` : `${Math.round(ms / 1000)} s`;
}
const HEIGHT = 100;

export function Chart(props: ChartProps): JSX.Element {
  const shown = props.points.filter((p) => p.t >= props.end - props.windowMs);
  const last = shown[shown.length - 1];
  const top = Math.max(1e-9, ...shown.map((p) => Math.max(p.total, p.used)));
  const x = (t: number): number => ((t - (props.end - props.windowMs)) / props.windowMs) * WIDTH;
  const y = (v: number): number => HEIGHT - (v / top) * (HEIGHT - 4);
  const line = (pick: (p: Point) => number): string => shown.map((p) => `${x(p.t).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(" ");
  const area = shown.length === 0 ? "" : `${x((shown[0] as Point).t).toFixed(1)},${HEIGHT} ${line((p) => p.used)} ${x((last as Point).t).toFixed(1)},${HEIGHT}`;
  const unit = props.unit === undefined ? "" : ` ${props.unit}`;
  const value = last === undefined ? "no data yet" : `${props.format(last.used)} / ${props.format(last.total)}${unit}`;
  const share = last !== undefined && last.total > 0 ? ` (${Math.round((last.used / last.total) * 100)}%)` : "";
  return (
    <figure class="chart" data-chart={props.title} data-points={shown.length} aria-label={`${props.title} used over the last ${minutes(props.windowMs)}`}>
      <figcaption>
        <span class="chart-title">{props.title}</span>
        <output class="chart-value" data-value={props.title}>
          {value}
          {share}
        </output>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} preserveAspectRatio="none" role="img" aria-hidden="true">
        <line class="grid" x1="0" y1={HEIGHT / 2} x2={WIDTH} y2={HEIGHT / 2} />
        {shown.length > 0 ? <polygon class="used" points={area} /> : null}
        {shown.length > 0 ? <polyline class="total" points={line((p) => p.total)} /> : null}
        {shown.length > 0 ? <polyline class="used-line" points={line((p) => p.used)} /> : null}
      </svg>
      <div class="chart-axis" aria-hidden="true">
        <span>−{minutes(props.windowMs)}</span>
        <span>max {props.format(top < 1e-6 ? 0 : top)}</span>
        <span>now</span>
      </div>
    </figure>
  );
}
