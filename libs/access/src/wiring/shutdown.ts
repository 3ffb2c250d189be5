// How long a process asked to stop may take to close gracefully before it exits anyway.
const FORCED_EXIT_AFTER_MS = 20_000;

/**
 * A safety net under Nest's shutdown hooks: a graceful close can wait forever on a dependency
 * that went away (BullMQ closing against an unreachable Redis). Jobs and grants lose nothing when
 * the process exits: BullMQ retries a job whose lock lapses, and the database is the truth.
 */
export function exitIfShutdownHangs(): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      setTimeout(() => {
        console.error(
          `countersign: graceful shutdown took over ${FORCED_EXIT_AFTER_MS} ms; exiting`,
        );
        process.exit(1);
      }, FORCED_EXIT_AFTER_MS).unref();
    });
  }
}
