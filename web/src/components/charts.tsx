// Small SVG charts (no chart library: a few hundred bytes each, no runtime fetches, readable by
// screen readers through each figure's caption and the bars' titles). Every chart says its n.
import type { ComponentChildren } from 'preact';

export interface Datum {
  label: string;
  value: number;
  note?: string;
}

export function Figure({ title, n, children, id }: { title: string; n: number; children: ComponentChildren; id: string }) {
  return (
    <figure class="chart" data-chart={id}>
      <figcaption><strong>{title}</strong> <span class="n">n = {n}</span></figcaption>
      {children}
    </figure>
  );
}

/** Horizontal bars, one row per datum. */
export function Bars({ data, format = String }: { data: Datum[]; format?: (value: number) => string }) {
  if (!data.length) return <p class="muted">No data in this period.</p>;
  const max = Math.max(1, ...data.map((d) => d.value));
  const row = 26;
  return (
    <svg class="bars" viewBox={`0 0 400 ${data.length * row}`} role="img"
      aria-label={data.map((d) => `${d.label}: ${format(d.value)}`).join('; ')}>
      {data.map((d, i) => (
        <g transform={`translate(0 ${i * row})`}>
          <title>{`${d.label}: ${format(d.value)}${d.note ? ` (${d.note})` : ''}`}</title>
          <text x="0" y="17" class="label">{d.label}</text>
          <rect x="150" y="4" height="18" rx="3" width={Math.max(1, (d.value / max) * 150)} />
          <text x={156 + (d.value / max) * 150} y="17" class="value">{format(d.value)}{d.note ? ` ${d.note}` : ''}</text>
        </g>
      ))}
    </svg>
  );
}

/** Vertical columns over time (weekly activity). */
export function Columns({ data }: { data: Datum[] }) {
  if (!data.length) return <p class="muted">No data in this period.</p>;
  const max = Math.max(1, ...data.map((d) => d.value));
  const width = 400 / data.length;
  return (
    <svg class="columns" viewBox="0 0 400 150" role="img" aria-label={data.map((d) => `${d.label}: ${d.value}`).join('; ')}>
      {data.map((d, i) => {
        const h = (d.value / max) * 100;
        return (
          <g>
            <title>{`${d.label}: ${d.value}`}</title>
            <rect x={i * width + 3} y={120 - h} width={width - 6} height={Math.max(h, 1)} rx="2" />
            <text x={i * width + width / 2} y={116 - h} class="value" text-anchor="middle">{d.value}</text>
            <text x={i * width + width / 2} y="138" class="label" text-anchor="middle">{d.label.replace(/^\d{4}-/, '')}</text>
          </g>
        );
      })}
    </svg>
  );
}

/** A small trend line (skill mentions per month). */
export function Sparkline({ values: given, label }: { values: number[]; label: string }) {
  const values = given.length === 1 ? [given[0], given[0]] : given; // one month: a flat line, not nothing
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? 100 / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(28 - (v / max) * 26).toFixed(1)}`).join(' ');
  return (
    <svg class="spark" viewBox="0 0 100 30" role="img" aria-label={`${label}: ${given.join(', ')}`}>
      <polyline points={points} fill="none" />
    </svg>
  );
}

export const percent = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${Math.round(value * 100)} %`);
