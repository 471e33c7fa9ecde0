import type { ReactNode } from "react";

/**
 * Server-rendered SVG charts: no script, no chart library. Each is a <figure> whose SVG has
 * role="img" with a <title> and a <desc> that says what the chart shows in words, followed
 * by the numbers as a table (collapsed by default) for screen readers and exact values.
 */

// Distinguishable for common colour-vision deficiencies (Okabe-Ito).
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

const WIDTH = 720;
const HEIGHT = 220;
// The legend sits in the top padding, above the plot, so a day at the maximum never hides it.
const PAD = { top: 28, right: 12, bottom: 28, left: 44 };
const LEGEND_Y = 6;
// Horizontal bars have no legend: ten rows of 20 fit below this.
const BARS_TOP = 12;

const niceMax = (value: number): number => {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? value;
};

const Frame = ({
  id,
  title,
  summary,
  children,
  table,
}: {
  id: string;
  title: string;
  summary: string;
  children: ReactNode;
  table: ReactNode;
}) => (
  <figure className="mb-8 rounded-md border border-slate-200 bg-white p-4" aria-labelledby={`${id}-caption`}>
    <figcaption id={`${id}-caption`} className="mb-2 font-medium">
      {title}
    </figcaption>
    <svg
      viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
      role="img"
      aria-labelledby={`${id}-title ${id}-desc`}
      className="h-auto w-full"
    >
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{summary}</desc>
      {children}
    </svg>
    <details className="mt-2 text-sm">
      <summary className="cursor-pointer text-slate-700">The numbers</summary>
      {table}
    </details>
  </figure>
);

const Axis = ({ max, unit }: { max: number; unit: string }) => {
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  return (
    <g aria-hidden="true" fontSize="10" fill="#475569">
      {[0, 0.5, 1].map((fraction) => {
        const y = PAD.top + plotHeight * (1 - fraction);
        return (
          <g key={fraction}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y} y2={y} stroke="#e2e8f0" />
            <text x={PAD.left - 4} y={y + 3} textAnchor="end">{`${Math.round(max * fraction * 10) / 10}${unit}`}</text>
          </g>
        );
      })}
    </g>
  );
};

/** Stacked columns per label (days), one colour per series, with a legend. */
export const StackedBarChart = ({
  id,
  title,
  labels,
  series,
  unit = "",
}: {
  id: string;
  title: string;
  labels: string[];
  series: Array<{ name: string; values: Array<number | null> }>;
  unit?: string;
}) => {
  const totals = labels.map((_, index) => series.reduce((sum, s) => sum + (s.values[index] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / Math.max(labels.length, 1);
  const peak = totals.indexOf(Math.max(...totals));
  const summary = totals.every((total) => total === 0)
    ? `No data between ${labels[0]} and ${labels.at(-1)}.`
    : `${series.map((s) => s.name).join(", ")} per day from ${labels[0]} to ${labels.at(-1)}; total ${Math.round(totals.reduce((a, b) => a + b, 0) * 10) / 10}${unit}, highest on ${labels[peak]} (${totals[peak]}${unit}).`;
  return (
    <Frame
      id={id}
      title={title}
      summary={summary}
      table={
        <table className="mt-2 text-left">
          <thead>
            <tr>
              <th scope="col" className="pr-4">
                Day
              </th>
              {series.map((s) => (
                <th key={s.name} scope="col" className="pr-4">
                  {s.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {labels.map((label, index) => (
              <tr key={label}>
                <th scope="row" className="pr-4 font-normal">
                  {label}
                </th>
                {series.map((s) => (
                  <td key={s.name} className="pr-4">
                    {s.values[index] ?? "–"}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      <Axis max={max} unit={unit} />
      {labels.map((label, index) => {
        let base = 0;
        return (
          <g key={label}>
            {series.map((s, seriesIndex) => {
              const value = s.values[index] ?? 0;
              const height = (value / max) * plotHeight;
              const y = PAD.top + plotHeight - ((base + value) / max) * plotHeight;
              base += value;
              return value > 0 ? (
                <rect
                  key={s.name}
                  x={PAD.left + index * slot + slot * 0.15}
                  y={y}
                  width={slot * 0.7}
                  height={height}
                  fill={PALETTE[seriesIndex % PALETTE.length]}
                >
                  <title>{`${label} ${s.name}: ${value}${unit}`}</title>
                </rect>
              ) : null;
            })}
            {index % Math.ceil(labels.length / 8) === 0 ? (
              <text
                aria-hidden="true"
                x={PAD.left + index * slot + slot / 2}
                y={HEIGHT - 10}
                fontSize="10"
                textAnchor="middle"
                fill="#475569"
              >
                {label.slice(5)}
              </text>
            ) : null}
          </g>
        );
      })}
      <g aria-hidden="true" fontSize="11">
        {series.map((s, seriesIndex) => (
          <g key={s.name} transform={`translate(${PAD.left + 8 + seriesIndex * 150}, ${LEGEND_Y})`}>
            <rect width="10" height="10" fill={PALETTE[seriesIndex % PALETTE.length]} />
            <text x="14" y="9" fill="#0f172a">
              {s.name}
            </text>
          </g>
        ))}
      </g>
    </Frame>
  );
};

/** One horizontal bar per item, largest first, value at the end of each bar. */
export const HorizontalBarChart = ({
  id,
  title,
  items,
}: {
  id: string;
  title: string;
  items: Array<{ label: string; value: number }>;
}) => {
  const max = niceMax(Math.max(0, ...items.map((item) => item.value)));
  const rowHeight = 20;
  const labelWidth = 180;
  const summary = items.length === 0 ? "No data." : items.map((item) => `${item.label}: ${item.value}`).join("; ");
  return (
    <Frame
      id={id}
      title={title}
      summary={summary}
      table={
        <table className="mt-2 text-left">
          <tbody>
            {items.map((item) => (
              <tr key={item.label}>
                <th scope="row" className="pr-4 font-normal">
                  {item.label}
                </th>
                <td>{item.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      }
    >
      {items.map((item, index) => {
        const width = ((WIDTH - labelWidth - 60) * item.value) / max;
        const y = BARS_TOP + index * rowHeight;
        return (
          <g key={item.label}>
            <text aria-hidden="true" x={labelWidth - 6} y={y + 13} fontSize="11" textAnchor="end" fill="#0f172a">
              {item.label.slice(0, 28)}
            </text>
            <rect x={labelWidth} y={y + 3} width={width} height={rowHeight - 6} fill={PALETTE[0]} />
            <text aria-hidden="true" x={labelWidth + width + 4} y={y + 13} fontSize="11" fill="#0f172a">
              {item.value}
            </text>
          </g>
        );
      })}
    </Frame>
  );
};
