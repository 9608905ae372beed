// A small grouped bar chart as SVG text (no dependency): one group per measure, one bar per peer,
// the bar at the median and a whisker from min to max.

export interface Bar {
  label: string;
  color: string;
  median: number;
  min: number;
  max: number;
}

export interface BarGroup {
  title: string;
  bars: Bar[];
}

const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A step for the y axis's grid lines: 1, 2 or 5 times a power of ten, about five lines in all. */
function gridStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(rough));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? rough;
}

export function barChartSvg(title: string, groups: BarGroup[], unit = 'ms'): string {
  const barWidth = 34;
  const gap = 6;
  const groupGap = 34;
  const left = 64;
  const top = 48;
  const plotHeight = 260;
  const legendNames = [...new Map(groups.flatMap((g) => g.bars).map((b) => [b.label, b.color])).entries()];
  const groupWidths = groups.map((g) => g.bars.length * (barWidth + gap) - gap);
  const width = left + groupWidths.reduce((a, w) => a + w + groupGap, 0) + 16;
  const height = top + plotHeight + 70;
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.max)));
  const step = gridStep(max);
  const yMax = Math.ceil(max / step) * step;
  const y = (v: number): number => top + plotHeight - (v / yMax) * plotHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="14" font-weight="bold">${escape(title)}</text>`,
  ];
  legendNames.forEach(([label, color], i) => {
    const x = left + i * 150;
    out.push(`<rect x="${x}" y="28" width="10" height="10" fill="${color}"/><text x="${x + 14}" y="37">${escape(label)}</text>`);
  });
  for (let v = 0; v <= yMax; v += step) {
    out.push(`<line x1="${left}" x2="${width - 16}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v}</text>`);
  }
  out.push(`<text x="14" y="${top + plotHeight / 2}" transform="rotate(-90 14 ${top + plotHeight / 2})" text-anchor="middle" fill="#555">${escape(unit)} (median, min–max)</text>`);
  let x = left + groupGap / 2;
  groups.forEach((group, gi) => {
    group.bars.forEach((bar, bi) => {
      const bx = x + bi * (barWidth + gap);
      const cx = bx + barWidth / 2;
      out.push(`<rect x="${bx}" y="${y(bar.median)}" width="${barWidth}" height="${y(0) - y(bar.median)}" fill="${bar.color}"><title>${escape(`${bar.label}: ${Math.round(bar.median)} ${unit}`)}</title></rect>`);
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(bar.min)}" y2="${y(bar.max)}" stroke="#222"/>`);
      out.push(`<line x1="${cx - 5}" x2="${cx + 5}" y1="${y(bar.min)}" y2="${y(bar.min)}" stroke="#222"/><line x1="${cx - 5}" x2="${cx + 5}" y1="${y(bar.max)}" y2="${y(bar.max)}" stroke="#222"/>`);
      out.push(`<text x="${cx}" y="${y(bar.max) - 4}" text-anchor="middle" font-size="10">${Math.round(bar.median)}</text>`);
    });
    const center = x + groupWidths[gi]! / 2;
    group.title.split('\n').forEach((line, li) => {
      out.push(`<text x="${center}" y="${top + plotHeight + 18 + li * 14}" text-anchor="middle">${escape(line)}</text>`);
    });
    x += groupWidths[gi]! + groupGap;
  });
  out.push(`<line x1="${left}" x2="${width - 16}" y1="${y(0)}" y2="${y(0)}" stroke="#222"/>`, '</svg>', '');
  return out.join('\n');
}
