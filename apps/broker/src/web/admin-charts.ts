import type { AdminDashboardView } from '#access';
import type { LagBucket } from '#persistence';
import type { SafeHtml } from './html.js';
import { html } from './html.js';
import { barChart } from './svg-chart.js';

const ISSUED = { key: 'issued', name: 'issued', colour: '#1f6feb' };
const EXPIRED = { key: 'expired', name: 'expired', colour: '#8a94a3' };
const REVOKED = { key: 'revoked', name: 'revoked', colour: '#b42318' };
const EXPIRIES = { key: 'expiries', name: 'expiries', colour: '#1a7f37' };

/** "13:00" (UTC), the hour a bar starts. */
function hourLabel(start: Date): string {
  return `${start.toISOString().slice(11, 13)}:00`;
}

function lagLabel(bucket: LagBucket, previous: number | null): string {
  const spell = (ms: number) =>
    ms < 1000 ? `${ms} ms` : ms < 60_000 ? `${ms / 1000} s` : `${ms / 60_000} min`;
  if (bucket.upToMs === null) return `over ${spell(previous ?? 0)}`;
  return `≤ ${spell(bucket.upToMs)}`;
}

/** The overview's two charts: grants issued and ended per hour, and revocation lag. */
export function dashboardCharts(view: AdminDashboardView): SafeHtml {
  const hours = view.hours;
  const issued = hours.reduce((sum, h) => sum + h.issued, 0);
  const ended = hours.reduce((sum, h) => sum + h.expired + h.revoked, 0);
  const sampled = view.lag.reduce((sum, b) => sum + b.count, 0);
  const late = view.lag.filter((b) => b.upToMs === null || b.upToMs > 1000);
  const lateCount = late.reduce((sum, b) => sum + b.count, 0);
  return html`<h2>The last ${hours.length} hours</h2>
    <div class="charts">
      ${barChart({
        id: 'chart-hours',
        title: 'Grants issued and ended per hour (UTC)',
        description:
          `${issued} grants issued and ${ended} ended (expired or revoked) in the last ` +
          `${hours.length} hours, one group of bars per hour from ${hourLabel(hours[0].start)} ` +
          `UTC; the last hour is still running.`,
        groupHeader: 'Hour (UTC)',
        series: [ISSUED, EXPIRED, REVOKED],
        groups: hours.map((h) => ({
          label: hourLabel(h.start),
          values: { issued: h.issued, expired: h.expired, revoked: h.revoked },
        })),
      })}
      ${barChart({
        id: 'chart-lag',
        title: 'Revocation lag of the latest expiries',
        description:
          `How long after its expiry each of the latest ${sampled} grants that expired in the ` +
          `last ${hours.length} hours was revoked; ${lateCount} took more than one second.`,
        groupHeader: 'Revoked within',
        series: [EXPIRIES],
        groups: view.lag.map((bucket, i) => ({
          label: lagLabel(bucket, i > 0 ? view.lag[i - 1].upToMs : null),
          values: { expiries: bucket.count },
        })),
      })}
    </div>`;
}
