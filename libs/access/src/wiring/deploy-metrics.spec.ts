import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { MetricsService } from './metrics.service.js';

/**
 * The alert rules and the Grafana dashboard under deploy/ name only metrics the code registers,
 * so renaming a metric fails here rather than leaving an alert that can never fire.
 */

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const read = (...path: string[]) => readFileSync(join(ROOT, ...path), 'utf8');

interface Rule {
  alert: string;
  expr: string;
  annotations: Record<string, string>;
}
interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
}

const rules = (
  parseYaml(read('deploy', 'prometheus', 'alerts.yml')) as { groups: Array<{ rules: Rule[] }> }
).groups.flatMap((group) => group.rules);
const panels = (JSON.parse(read('deploy', 'grafana', 'countersign.json')) as { panels: Panel[] })
  .panels;
const dashboardExprs = panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr));

/** Every series name a scrape of this registry can show (histograms' _bucket, _sum, _count). */
function registeredSeries(): Set<string> {
  const metrics = new MetricsService();
  // The audit verification gauges appear at a process's first verification.
  metrics.auditLogVerified(true, new Date(0));
  const names = new Set<string>();
  for (const metric of metrics.registry.getMetricsAsArray()) {
    names.add(metric.name);
    if (metric instanceof Histogram) {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    }
  }
  return names;
}

const namesIn = (exprs: string[]) =>
  [...new Set(exprs.flatMap((expr) => expr.match(/countersign_[a-z0-9_]+/g) ?? []))].sort();

describe('deploy/ alert rules and dashboard', () => {
  it('name only countersign_* metrics the code registers', () => {
    const registered = registeredSeries();
    const referenced = namesIn([...rules.map((rule) => rule.expr), ...dashboardExprs]);
    expect(referenced.length).toBeGreaterThan(10);
    expect(referenced.filter((name) => !registered.has(name))).toEqual([]);
  });

  it('alert on overdue grants, revocation lag, policy drift, audit verification and down targets', () => {
    const alerted = namesIn(rules.map((rule) => rule.expr));
    expect(alerted).toEqual(
      expect.arrayContaining([
        'countersign_grants_overdue',
        'countersign_revocation_lag_seconds_bucket',
        'countersign_policy_info',
        'countersign_audit_verified',
        'countersign_audit_pending_events',
      ]),
    );
    expect(rules.some((rule) => /\bup\b.*== 0/.test(rule.expr))).toBe(true);
    for (const rule of rules) {
      expect(Object.keys(rule.annotations).sort()).toEqual(['description', 'runbook', 'summary']);
      expect(rule.annotations.runbook).toMatch(/^docs\/deploy\.md#/);
    }
  });

  it('point each runbook at a heading of docs/deploy.md', () => {
    const anchors = new Set(
      [...read('docs', 'deploy.md').matchAll(/^#+ (.+)$/gm)].map((match) =>
        match[1]
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const missing = rules
      .map((rule) => rule.annotations.runbook.slice('docs/deploy.md#'.length))
      .filter((anchor) => !anchors.has(anchor));
    expect(missing).toEqual([]);
  });

  it('chart every metric the dashboard promises', () => {
    expect(namesIn(dashboardExprs)).toEqual(
      expect.arrayContaining([
        'countersign_requests_created_total',
        'countersign_requests_decided_total',
        'countersign_credentials_issued_total',
        'countersign_grants_ended_total',
        'countersign_revocation_lag_seconds_bucket',
        'countersign_grants_overdue',
        'countersign_revocation_queue_jobs',
        'countersign_refusals_total',
        'countersign_audit_pending_events',
        'countersign_audit_verified',
        'countersign_policy_info',
      ]),
    );
  });
});
