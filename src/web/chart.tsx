/** @jsxRuntime automatic @jsxImportSource hono/jsx */
import type { IntervalId } from '../core/timeline.ts';
import type { GroupMedians } from './metrics.ts';
import { INTERVAL_IDS } from './metrics.ts';

/** One colour per interval, each at 3:1 or better against white; the legend and the table carry the words. */
export const INTERVAL_COLOURS: Record<IntervalId, string> = {
  detect: '#0b57d0',
  declare: '#a3400c',
  first_public: '#146c2e',
  mitigate: '#6b2fa3',
  resolve: '#4a525c',
};

const W = 640;
const H = 300;
const PAD = { left: 48, right: 12, top: 28, bottom: 40 };

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * Grouped bars of median minutes per group, drawn on the server as SVG: `role="img"` with a
 * title and a description, every bar with its own title (value on hover), and the numbers in
 * a table beside it for anyone who cannot see the chart.
 */
export function MediansChart(props: { id: string; title: string; desc: string; groups: GroupMedians[]; label: (id: IntervalId) => string; unit: string }) {
  const minutes = (ms: number | undefined) => (ms === undefined ? undefined : ms / 60_000);
  const max = niceMax(Math.max(0, ...props.groups.flatMap((g) => INTERVAL_IDS.map((id) => minutes(g.medians[id]) ?? 0))));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const groupW = plotW / Math.max(1, props.groups.length);
  const barW = Math.max(2, (groupW * 0.8) / INTERVAL_IDS.length);
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => f * max);
  return (
    <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby={`${props.id}-title ${props.id}-desc`} class="chart" id={props.id} xmlns="http://www.w3.org/2000/svg">
      <title id={`${props.id}-title`}>{props.title}</title>
      <desc id={`${props.id}-desc`}>{props.desc}</desc>
      {ticks.map((v) => (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(v)} y2={y(v)} stroke="#d0d5dc" stroke-width="1" />
          <text x={PAD.left - 6} y={y(v) + 4} text-anchor="end" font-size="11" fill="#454c55">
            {Number.isInteger(v) ? v : v.toFixed(1)}
          </text>
        </g>
      ))}
      <text x={4} y={14} font-size="12" fill="#454c55">
        {props.unit}
      </text>
      {props.groups.map((g, gi) => {
        const x0 = PAD.left + gi * groupW + groupW * 0.1;
        return (
          <g class="group" data-group={g.group}>
            {INTERVAL_IDS.map((id, bi) => {
              const v = minutes(g.medians[id]);
              if (v === undefined) return null;
              const top = y(v);
              return (
                <rect class="bar" data-interval={id} x={x0 + bi * barW} y={top} width={barW - 1} height={Math.max(1, PAD.top + plotH - top)} fill={INTERVAL_COLOURS[id]}>
                  <title>{`${g.group} · ${props.label(id)}: ${v.toFixed(1)} ${props.unit}`}</title>
                </rect>
              );
            })}
            <text x={PAD.left + gi * groupW + groupW / 2} y={H - PAD.bottom + 16} text-anchor="middle" font-size="12" fill="#1b1f24">
              {g.group}
            </text>
          </g>
        );
      })}
      <line x1={PAD.left} x2={W - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} stroke="#1b1f24" stroke-width="1" />
    </svg>
  );
}
