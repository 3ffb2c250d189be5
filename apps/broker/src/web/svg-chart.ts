import type { SafeHtml } from './html.js';
import { html } from './html.js';

/** A series of a bar chart: its name (legend, table header) and its bars' colour. */
export interface Series {
  key: string;
  name: string;
  colour: string;
}

/** One group of bars (an hour, a lag bucket): a label and one value per series, by key. */
export interface BarGroup {
  label: string;
  values: Readonly<Record<string, number>>;
}

export interface BarChart {
  /** Unique on the page: names the SVG's <title> and <desc> for assistive technology. */
  id: string;
  title: string;
  /** What the chart shows, in a sentence, for readers who cannot see it. */
  description: string;
  /** The first column's header of the table of numbers. */
  groupHeader: string;
  series: readonly Series[];
  groups: readonly BarGroup[];
}

/** Plot area height (px): a bar's height is value / max × PLOT_HEIGHT, to one decimal. */
export const PLOT_HEIGHT = 120;
/** Bar width (px): narrow when there are many groups (24 hours), room for a label otherwise. */
const barWidth = (groups: number) => (groups > 12 ? 10 : 56);
const GROUP_GAP = 8;
const LEFT = 36;
const TOP = 8;
const LABEL_SPACE = 28;

export function barHeight(value: number, max: number): number {
  return max === 0 ? 0 : Math.round((value / max) * PLOT_HEIGHT * 10) / 10;
}

/**
 * A bar chart drawn by the server: an inline SVG (no script, no external resource, nothing the
 * page's CSP forbids), titled and described for screen readers, followed by the same numbers as a
 * table, so nothing is only in the picture.
 */
export function barChart(chart: BarChart): SafeHtml {
  const max = Math.max(0, ...chart.groups.flatMap((g) => chart.series.map((s) => g.values[s.key])));
  const bar = barWidth(chart.groups.length);
  const groupWidth = chart.series.length * bar + GROUP_GAP;
  const width = LEFT + chart.groups.length * groupWidth + GROUP_GAP;
  const height = TOP + PLOT_HEIGHT + LABEL_SPACE;
  const baseline = TOP + PLOT_HEIGHT;
  // Every third label on wide charts, so that labels never overlap.
  const labelEvery = chart.groups.length > 12 ? 3 : 1;
  const bars = chart.groups.map((group, g) => {
    const x0 = LEFT + GROUP_GAP + g * groupWidth;
    return html`<g class="group">
      ${chart.series.map((series, s) => {
        const value = group.values[series.key];
        const h = barHeight(value, max);
        return html`<rect
          class="bar ${series.key}"
          x="${x0 + s * bar}"
          y="${Math.round((baseline - h) * 10) / 10}"
          width="${bar - 1}"
          height="${h}"
          fill="${series.colour}"
          data-group="${group.label}"
          data-value="${value}"
          ><title>${group.label}: ${value} ${series.name}</title></rect
        >`;
      })}
      ${
        g % labelEvery === 0
          ? html`<text x="${x0}" y="${baseline + 14}" font-size="10">${group.label}</text>`
          : null
      }
    </g>`;
  });
  return html`<figure class="chart" id="${chart.id}">
    <svg
      xmlns="http://www.w3.org/2000/svg"
      role="img"
      viewBox="0 0 ${width} ${height}"
      width="${width}"
      height="${height}"
      aria-labelledby="${chart.id}-title ${chart.id}-desc"
    >
      <title id="${chart.id}-title">${chart.title}</title>
      <desc id="${chart.id}-desc">${chart.description}</desc>
      <line x1="${LEFT}" y1="${baseline}" x2="${width}" y2="${baseline}" stroke="#8a94a3" />
      <text x="0" y="${TOP + 8}" font-size="10">${max}</text>
      <text x="0" y="${baseline}" font-size="10">0</text>
      ${bars}
    </svg>
    <figcaption>
      ${chart.title}:
      ${chart.series.map(
        (s) =>
          html`<span class="legend"
            ><svg width="10" height="10" aria-hidden="true">
              <rect width="10" height="10" fill="${s.colour}" /></svg
            >${s.name}</span
          >`,
      )}
    </figcaption>
    <details>
      <summary>The numbers</summary>
      <table class="numbers">
        <thead>
          <tr>
            <th>${chart.groupHeader}</th>
            ${chart.series.map((s) => html`<th>${s.name}</th>`)}
          </tr>
        </thead>
        <tbody>
          ${chart.groups.map(
            (g) =>
              html`<tr>
                <td>${g.label}</td>
                ${chart.series.map((s) => html`<td>${g.values[s.key]}</td>`)}
              </tr>`,
          )}
        </tbody>
      </table>
    </details>
  </figure>`;
}
