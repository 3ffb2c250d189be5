/**
 * The integrator alone, without the rest of bench/mint.ts: `npm run -s build && node
 * dist/bench/integrator-alone.js [events] [batch sizes, comma-separated]` (defaults 200000 and
 * 4096,8192,16384), three runs each, medians. BENCH_CPU_PROFILE=<dir> profiles each catch-up.
 */
import 'reflect-metadata';
import { loadavg } from 'node:os';
import { canonicalData } from '#audit';
import { integratorThroughput } from './integration.js';

// The audit rows of one flow's three transactions, as the broker writes them (canonical JSON data; bench/mint.ts
// observes them; these are their sizes).
const actor = 'corp:alice';
const policy = {
  type: 'policy.evaluated',
  actor,
  data: canonicalData({
    action: 'request',
    role: 'prod-db-admin',
    decision: 'allow',
    rule: 'requesters',
    groups: ['engineering'],
  }),
};
const SHAPES = [
  [
    policy,
    {
      type: 'request.created',
      actor,
      data: canonicalData({ role: 'prod-db-admin', justification: 'bench', durationSeconds: 900 }),
    },
  ],
  [
    { ...policy, actor: 'corp:bob' },
    { type: 'approval.recorded', actor: 'corp:bob', data: canonicalData({ adminReach: false }) },
    { type: 'request.approved', actor: 'corp:bob', data: canonicalData({ approvals: 1 }) },
  ],
  [
    policy,
    {
      type: 'credential.issued',
      actor,
      data: canonicalData({
        provider: 'jwt',
        expiresAt: new Date().toISOString(),
        kid: 'x'.repeat(43),
      }),
    },
  ],
];

async function main(): Promise<void> {
  const events = Number(process.argv[2] ?? 200_000);
  const sizes = (process.argv[3] ?? '4096,8192,16384').split(',').map(Number);
  process.stderr.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  const runs = await integratorThroughput(SHAPES, events, sizes, 3);
  for (const run of runs) {
    process.stdout.write(
      `batch ${run.batchSize}: ${run.events} events in ${run.seconds.toFixed(2)} s, ` +
        `${Math.round(run.perSecond)}/s; CPU per event node ${run.nodeUsPerEvent.toFixed(1)} µs, ` +
        `pg ${run.pgUsPerEvent.toFixed(1)} µs\n`,
    );
  }
  process.stderr.write(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
