/** A horizontal bar chart in plain SVG: no library, nothing inline a strict CSP would block. */
export function BarChart({ title, bars }: { title: string; bars: { label: string; value: number }[] }) {
  const rowHeight = 28;
  const labelWidth = 200;
  const width = 640;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const height = Math.max(rowHeight, bars.length * rowHeight);
  const summary = bars.map((b) => `${b.label}: ${b.value}`).join(', ');
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`${title}. ${summary.slice(0, 500)}`}
      preserveAspectRatio="xMinYMin meet"
    >
      <title>{title}</title>
      {bars.map((bar, i) => {
        const barWidth = ((width - labelWidth - 60) * bar.value) / max;
        const y = i * rowHeight;
        return (
          <g key={`${i}-${bar.label}`}>
            <text x={labelWidth - 8} y={y + 19} text-anchor="end" class="chart-label">
              {bar.label.length > 28 ? `${bar.label.slice(0, 27)}…` : bar.label}
            </text>
            <rect
              x={labelWidth}
              y={y + 5}
              width={Math.max(barWidth, 1)}
              height={rowHeight - 10}
              class="chart-bar"
            />
            <text x={labelWidth + barWidth + 6} y={y + 19} class="chart-value">
              {bar.value}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
