import { formatNumber } from './lib/stats';
import type { Measurement, SectionResult } from './lib/types';

/** A section as a plain-text table (printed) and as Markdown (BENCHMARKS.md). */
export function sectionTable(result: SectionResult, markdown: boolean): string {
  const rows: string[][] = [['scenario', 'contender', 'metric', 'median', 'min .. max', 'samples']];
  for (const m of result.measurements) {
    rows.push([m.scenario, m.contender, m.metric, formatNumber(m.median, m.unit),
      `${formatNumber(m.min, '')} .. ${formatNumber(m.max, '')}`, String(m.samples.length)]);
  }
  const ratioRows: string[][] = [['scenario', 'ratio (same run, per round)', 'metric', 'median', 'min .. max']];
  for (const r of result.ratios) {
    ratioRows.push([r.scenario, r.label, r.metric, `${r.median.toFixed(2)}x`, `${r.min.toFixed(2)} .. ${r.max.toFixed(2)}`]);
  }
  const goalRows: string[][] = [['goal', 'met', 'measured']];
  for (const g of result.goals) goalRows.push([g.text, g.met ? 'yes' : 'NO', g.detail]);
  const render = markdown ? markdownTable : textTable;
  return [render(rows), render(ratioRows), render(goalRows)].join('\n\n');
}

function textTable(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function markdownTable(rows: string[][]): string {
  const line = (r: string[]) => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n');
}

/**
 * A horizontal bar chart (SVG) of one metric per scenario and contender: medians as bars, the spread as a
 * whisker, so the README can show each section at a glance.
 */
export function sectionChart(result: SectionResult, metric: string): string {
  const bars = result.measurements.filter((m) => m.metric === metric);
  if (bars.length === 0) return '';
  const unit = bars[0].unit;
  const max = Math.max(...bars.map((b) => b.max));
  const label = 300;
  const width = 820;
  const barArea = width - label - 130;
  const rowHeight = 22;
  const scenarios = [...new Set(bars.map((b) => b.scenario))];
  const colors = ['#4c78a8', '#f58518', '#54a24b', '#b279a2', '#9d755d'];
  const contenders = [...new Set(bars.map((b) => b.contender))];
  let y = 40;
  const parts: string[] = [];
  for (const scenario of scenarios) {
    parts.push(`<text x="8" y="${y + 14}" font-weight="bold">${escape(scenario)}</text>`);
    y += rowHeight;
    for (const b of bars.filter((x) => x.scenario === scenario)) {
      parts.push(bar(b, y, label, barArea, max, colors[contenders.indexOf(b.contender) % colors.length]));
      y += rowHeight;
    }
    y += 8;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    '<rect width="100%" height="100%" fill="white"/>',
    `<text x="8" y="20" font-size="14" font-weight="bold">${escape(`${result.title}: ${metric} (${unit}), median with min..max`)}</text>`,
    ...parts,
    '</svg>',
  ].join('\n');
}

function bar(m: Measurement, y: number, label: number, area: number, max: number, color: string): string {
  const scale = (v: number) => (max > 0 ? (v / max) * area : 0);
  const x0 = label;
  return [
    `<text x="${label - 8}" y="${y + 12}" text-anchor="end">${escape(m.contender)}</text>`,
    `<rect x="${x0}" y="${y + 2}" width="${scale(m.median).toFixed(1)}" height="${14}" fill="${color}"/>`,
    `<line x1="${(x0 + scale(m.min)).toFixed(1)}" x2="${(x0 + scale(m.max)).toFixed(1)}" y1="${y + 9}" y2="${y + 9}" stroke="black"/>`,
    `<text x="${(x0 + scale(Math.max(m.median, m.max)) + 6).toFixed(1)}" y="${y + 12}">${escape(formatNumber(m.median, m.unit))}</text>`,
  ].join('\n');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
