/**
 * Every PostgreSQL advisory lock key countersign takes, in one place so that no two collide
 * (docs/deploy.md, "Scheduled tasks across replicas"). Each is four ASCII letters read as one
 * 32-bit number; keep them distinct.
 */
export const ADVISORY_LOCKS = {
  /** Session lock for the whole migration run (migration-lock.ts). */
  migrations: 0x636f6d69, // "comi"
  /** Transaction lock per integration batch of the audit log (libs/audit integrator.ts). */
  auditIntegrator: 0x636f756f, // "couo"
  /** Transaction lock per claim of the notification outbox (notification-outbox.ts). */
  notificationClaim: 0x636f6e63, // "conc"
  // Session locks kept by the replica whose turn it is to run a scheduled task (run-once.ts).
  auditVerify: 0x636f7661, // "cova"
  requestExpiry: 0x636f7265, // "core"
  breakGlassEscalation: 0x636f6267, // "cobg"
  providerReconcile: 0x636f7072, // "copr"
  notificationReminders: 0x636f6e72, // "conr"
} as const;

/** The scheduled tasks that run on one replica per interval (RunOnce). */
export type ScheduledTask = Exclude<
  keyof typeof ADVISORY_LOCKS,
  'migrations' | 'auditIntegrator' | 'notificationClaim'
>;
