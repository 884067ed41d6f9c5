import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
}

interface TimeChartProps {
  readonly title: string;
  /** Epoch seconds, one per value. */
  readonly times: readonly number[];
  readonly series: readonly ChartSeries[];
  /** Epoch seconds of deploys, drawn as dashed vertical lines with their label. */
  readonly markers?: readonly { readonly t: number; readonly label: string }[];
  readonly unit?: (v: number) => string;
  readonly height?: number;
  /** The x axis's span in epoch seconds (the whole asked range, so a deploy after the last point shows). */
  readonly span?: readonly [number, number];
}

/** Vertical dashed lines at deploys, drawn on uPlot's canvas after the series. */
function markerPlugin(markers: readonly { t: number; label: string }[]): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const { ctx, bbox } = u;
        ctx.save();
        ctx.strokeStyle = "#7c3aed";
        ctx.fillStyle = "#7c3aed";
        ctx.setLineDash([4, 3]);
        ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
        for (const m of markers) {
          const x = Math.round(u.valToPos(m.t, "x", true));
          if (x < bbox.left || x > bbox.left + bbox.width) continue;
          ctx.beginPath();
          ctx.moveTo(x, bbox.top);
          ctx.lineTo(x, bbox.top + bbox.height);
          ctx.stroke();
          ctx.fillText(m.label, x + 3 * devicePixelRatio, bbox.top + 12 * devicePixelRatio);
        }
        ctx.restore();
      },
    },
  };
}

/**
 * A value with no neighbours is a line of no length, so uPlot draws nothing for it (spanGaps off): the first
 * minute of traffic, a lone busy minute. Those, and only those, get a dot.
 */
const isolatedPoints: uPlot.Series.Points.Filter = (u, seriesIdx) => {
  const ys = u.data[seriesIdx] ?? [];
  const out: number[] = [];
  for (let i = 0; i < ys.length; i++)
    if (ys[i] != null && ys[i - 1] == null && ys[i + 1] == null) out.push(i);
  return out;
};

/** A uPlot time series chart that fills its container's width and follows it (phone to desktop). */
export function TimeChart({ title, times, series, markers = [], unit, height = 180, span }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fmt = unit ?? ((v: number) => String(v));
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: span ? { time: true, range: [span[0], span[1]] } : { time: true } },
      axes: [{}, { values: (_u, ticks) => ticks.map(fmt), size: 60 }],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: 2,
          spanGaps: false,
          points: { show: true, size: 6, fill: s.color, filter: isolatedPoints },
        })),
      ],
      plugins: [markerPlugin(markers)],
    };
    const data = [
      times as number[],
      ...series.map((s) => s.values as (number | null)[]),
    ] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [times, series, markers, unit, height, span]);
  return (
    <figure className="chart card">
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={box} className="chart-box" />
    </figure>
  );
}

/** A tiny line without axes or legend, for the dashboard. */
export function Sparkline({
  label,
  values,
  color,
  className,
}: {
  readonly label: string;
  readonly values: readonly number[];
  readonly color: string;
  readonly className?: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || values.length === 0) return;
    const opts: uPlot.Options = {
      width: Math.max(60, el.clientWidth),
      height: 32,
      legend: { show: false },
      cursor: { show: false },
      scales: { x: { time: false } },
      axes: [{ show: false }, { show: false }],
      series: [{}, { stroke: color, width: 1.5, fill: `${color}22` }],
    };
    const plot = new uPlot(opts, [values.map((_, i) => i), [...values]], el);
    return () => plot.destroy();
  }, [values, color]);
  return (
    <div
      ref={box}
      className={className ? `sparkline ${className}` : "sparkline"}
      role="img"
      aria-label={label}
    />
  );
}
