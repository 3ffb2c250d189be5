import type { BreakGlassPolicy } from '#domain';

/** What the security team is told when the glass breaks, and again while nobody has reviewed it. */
export interface BreakGlassAlert {
  kind: 'activated' | 'escalated';
  requestId: string;
  role: string;
  activatedBy: string;
  justification: string;
  activatedAt: string;
  reviewDueAt: string;
  /** How many times it has escalated, this one included (0 at activation). */
  escalations: number;
}

/**
 * Delivers break-glass alerts (Slack, webhook). Called after commit; it must return at once and
 * never throw: delivery retries on its own, and an unreviewed activation escalates again anyway.
 */
export interface BreakGlassAlerts {
  send(alert: BreakGlassAlert, policy: BreakGlassPolicy): void;
}

export const BREAK_GLASS_ALERTS = 'countersign:break-glass-alerts';
