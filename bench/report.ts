import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Percentiles } from './support.js';

export const SECTION_HEADING = '## Core flow (request → approve → mint), PostgreSQL';

export type PathName =
  'broker' | 'in-process' | 'raw-broker-sql' | 'raw-batched-audit' | 'raw-writes';

export const PATH_LABELS: Readonly<Record<PathName, string>> = {
  broker: 'broker over HTTP',
  'in-process': 'broker use cases in-process (no HTTP, no bearer tokens)',
  'raw-broker-sql': "raw `pg`: the broker's SQL (+ row locks, reads, audit lock and head reads)",
  'raw-batched-audit':
    "raw `pg`: the broker's SQL, each transaction's audit rows appended in one insert before COMMIT",
  'raw-writes': 'raw `pg`: the same inserts and updates only',
};

export interface Measurement {
  path: PathName;
  concurrency: number;
  flows: number;
  seconds: number;
  rate: number;
  flow: Percentiles;
  mint: Percentiles;
  /** CPU time of the main JavaScript thread, per flow. */
  mainThreadMsPerFlow: number;
  nodeCpuMsPerFlow: number;
  pgCpuMsPerFlow: number;
  /** Mean transactions waiting for the audit advisory lock (sampled), where it applies. */
  lockWaiting?: number;
  failures: string;
}

export interface Component {
  name: string;
  c1: string;
  c32: string;
}

export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  node: string;
  postgres: string;
  loadBefore: string;
  loadAfter: string;
}

export interface StepSql {
  statements: number;
  /** Statements sent after the audit advisory lock was granted, COMMIT included. */
  underLock: number;
}

export interface FlowFacts {
  auditPerStep: { create: string[]; approve: string[]; mint: string[] };
  sqlPerStep: { create: StepSql; approve: StepSql; mint: StepSql };
  chain: string;
  issued: number;
  notIssued: number;
}

export interface Figures {
  machine: MachineInfo;
  facts: FlowFacts;
  flowsPerRun: { c1: number; c32: number; rounds: number };
  measurements: Measurement[];
  components: Component[];
  sign: { sequentialUs: number };
  verify: { sequentialUs: number };
  authNoDb: { c1Ms: number };
  /** One-row insert transactions per second at concurrency 32, without and with the lock. */
  commits: { plain32: number; locked32: number };
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '–');
const rate = (value: number) => (Number.isFinite(value) ? Math.round(value).toString() : '–');

export function find(figures: Figures, path: PathName, concurrency: number): Measurement {
  const found = figures.measurements.find((m) => m.path === path && m.concurrency === concurrency);
  if (!found) throw new Error(`no measurement for ${path} at c=${concurrency}`);
  return found;
}

function headline(figures: Figures): string[] {
  const rows = [
    '| path | concurrency | flows | flows/s | mint p50 (ms) | mint p99 (ms) | flow p50 (ms) | flow p99 (ms) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const path of ['broker', 'raw-writes'] as const) {
    for (const c of [1, 32]) {
      const m = find(figures, path, c);
      rows.push(
        `| ${PATH_LABELS[path]} | ${c} | ${m.flows} | ${rate(m.rate)} | ${ms(m.mint.p50)} | ${ms(m.mint.p99)} | ${ms(m.flow.p50)} | ${ms(m.flow.p99)} |`,
      );
    }
  }
  return rows;
}

function breakdown(figures: Figures): string[] {
  const rows = [
    '| path | concurrency | flows/s | ms per flow (1 / rate) | main-thread CPU ms per flow | Node CPU ms per flow | PostgreSQL CPU ms per flow | waiting for the audit lock | mint p50 / p99 (ms) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const paths = [
    'raw-writes',
    'raw-batched-audit',
    'raw-broker-sql',
    'in-process',
    'broker',
  ] as const;
  for (const c of [1, 32]) {
    for (const path of paths) {
      const m = find(figures, path, c);
      const waiting = m.lockWaiting === undefined ? '–' : m.lockWaiting.toFixed(1);
      rows.push(
        `| ${PATH_LABELS[path]} | ${c} | ${rate(m.rate)} | ${ms(1000 / m.rate)} | ${ms(m.mainThreadMsPerFlow)} | ${ms(m.nodeCpuMsPerFlow)} | ${ms(m.pgCpuMsPerFlow)} | ${waiting} | ${ms(m.mint.p50)} / ${ms(m.mint.p99)} |`,
      );
    }
  }
  return rows;
}

function components(figures: Figures): string[] {
  const rows = ['| operation | concurrency 1 | concurrency 32 |', '| --- | ---: | ---: |'];
  for (const c of figures.components) rows.push(`| ${c.name} | ${c.c1} | ${c.c32} |`);
  return rows;
}

function interpretation(figures: Figures): string[] {
  const at = (path: PathName, c: number) => find(figures, path, c);
  const per = (m: Measurement) => 1000 / m.rate;
  const pct = (fraction: number) => `${Math.round(fraction * 100)} %`;
  const [writes1, sql1, inproc1, broker1] = (
    ['raw-writes', 'raw-broker-sql', 'in-process', 'broker'] as const
  ).map((path) => at(path, 1));
  const [writes32, batched32, sql32, inproc32, broker32] = (
    ['raw-writes', 'raw-batched-audit', 'raw-broker-sql', 'in-process', 'broker'] as const
  ).map((path) => at(path, 32));
  const { auditPerStep, sqlPerStep } = figures.facts;
  const appends =
    auditPerStep.create.length + auditPerStep.approve.length + auditPerStep.mint.length;
  const statements =
    sqlPerStep.create.statements + sqlPerStep.approve.statements + sqlPerStep.mint.statements;
  const underLock =
    sqlPerStep.create.underLock + sqlPerStep.approve.underLock + sqlPerStep.mint.underLock;
  // BEGIN and COMMIT of three transactions, three inserts, two updates, the audit inserts.
  const rawStatements = 3 * 2 + 3 + 2 + appends;
  const cores = figures.machine.cpus;
  const cpuPerFlow = broker32.nodeCpuMsPerFlow + broker32.pgCpuMsPerFlow;
  const waiting = (m: Measurement) => m.lockWaiting?.toFixed(1) ?? '–';
  // Transactions queue for the lock most of the time: it is then held nearly all the time, and
  // the time it is held per flow is about the wall time per flow.
  const lockBound = (broker32.lockWaiting ?? 0) >= 2;
  const sql1to32 =
    sql32.rate < at('raw-broker-sql', 1).rate
      ? `, fewer than the ${rate(at('raw-broker-sql', 1).rate)} it does one at a time`
      : '';
  return [
    `**Concurrency 1: where a flow's time goes.** A flow takes ${ms(per(broker1))} ms through the ` +
      `broker and ${ms(per(writes1))} ms for the same writes through \`pg\` ` +
      `(${(per(broker1) / per(writes1)).toFixed(1)}×). ` +
      `The broker's transactions send ${statements} statements where the writes need ` +
      `${rawStatements}: the request row lock and the approvals read in approve and mint, and ` +
      `(in the raw model of the first design) an advisory lock and a read of the chain head before each of the ${appends} audit appends; the broker now buffers a transaction's events and takes both once, just before COMMIT. ` +
      `That SQL sent through \`pg\` takes ${ms(per(sql1))} ms (+${ms(per(sql1) - per(writes1))} ms). ` +
      `TypeORM, the policy checks and the credential signature add ` +
      `${ms(per(inproc1) - per(sql1))} ms: the use cases called in-process take ` +
      `${ms(per(inproc1))} ms, of which ${ms(inproc1.mainThreadMsPerFlow)} ms of main-thread CPU ` +
      `against ${ms(sql1.mainThreadMsPerFlow)} ms for raw \`pg\` sending the same SQL ` +
      `(one EdDSA signature alone is ${figures.sign.sequentialUs.toFixed(0)} µs). ` +
      `HTTP and the three bearer tokens add ${ms(per(broker1) - per(inproc1))} ms ` +
      `(+${ms(broker1.mainThreadMsPerFlow - inproc1.mainThreadMsPerFlow)} ms of main-thread CPU): ` +
      `an authenticated request refused before the database takes ${ms(figures.authNoDb.c1Ms)} ms ` +
      `(p50) round trip, of which verifying the token is ` +
      `${figures.verify.sequentialUs.toFixed(0)} µs.`,
    '',
    `**Concurrency 32: what caps the rate.** The broker completes ${rate(broker32.rate)} flows/s, ` +
      `raw \`pg\` ${rate(writes32.rate)}. ` +
      `A broker flow costs ${ms(broker32.mainThreadMsPerFlow)} ms on the main JavaScript thread ` +
      `and ${ms(cpuPerFlow)} ms of CPU in all (Node ${ms(broker32.nodeCpuMsPerFlow)} ms, load ` +
      `generator included; PostgreSQL ${ms(broker32.pgCpuMsPerFlow)} ms), so at ` +
      `${rate(broker32.rate)} flows/s the main thread is busy ` +
      `${pct((broker32.rate * broker32.mainThreadMsPerFlow) / 1000)} of the time and the bench ` +
      `uses ${pct((broker32.rate * cpuPerFlow) / 1000 / cores)} of the ${cores} cores (other ` +
      `work on the machine takes some of the rest). ` +
      (lockBound
        ? 'What holds it back is the audit chain lock. '
        : `The audit chain lock is not what holds it back here (${waiting(broker32)} waiting). `) +
      `In the first design the lock was taken at the first append and held to COMMIT: ${underLock} of a ` +
      `flow's ${statements} statements (request ${sqlPerStep.create.underLock} of ` +
      `${sqlPerStep.create.statements}, approve ${sqlPerStep.approve.underLock} of ` +
      `${sqlPerStep.approve.statements}, mint ${sqlPerStep.mint.underLock} of ` +
      `${sqlPerStep.mint.statements}) run for one request at a time` +
      (lockBound
        ? `, with ${waiting(broker32)} of 32 transactions waiting for it on average. Each of ` +
          `those statements is a round trip through an event loop shared with the other flows, ` +
          `so the lock is held ≈ ${ms(per(broker32))} ms per flow ` +
          `(${ms(per(broker32) / underLock)} ms per statement), ${ms(per(inproc32))} ms with the ` +
          `use cases called in-process (${waiting(inproc32)} waiting), and ${ms(per(sql32))} ms ` +
          `when raw \`pg\` sends the same SQL (${rate(sql32.rate)} flows/s, ${waiting(sql32)} ` +
          `waiting${sql1to32}). `
        : '. ') +
      `Holding the lock through COMMIT also keeps PostgreSQL from flushing several commits ` +
      `together: a one-row insert transaction runs at ${rate(figures.commits.plain32)}/s at ` +
      `concurrency 32 without it and ${rate(figures.commits.locked32)}/s with it. ` +
      `Appending each transaction's audit rows together just before COMMIT (3 statements under ` +
      `the lock per transaction, 9 per flow) takes raw \`pg\` from ${rate(sql32.rate)} to ` +
      `${rate(batched32.rate)} flows/s; the raw writes without the lock reach ` +
      `${rate(writes32.rate)}.`,
  ];
}

export function renderSection(figures: Figures): string {
  const { machine, facts, flowsPerRun } = figures;
  const failures = figures.measurements.filter((m) => m.failures !== '');
  const appends =
    facts.auditPerStep.create.length +
    facts.auditPerStep.approve.length +
    facts.auditPerStep.mint.length;
  const lines = [
    SECTION_HEADING,
    '',
    `Measured by \`npm run bench\` (bench/mint.ts) on ${machine.date}: ${machine.cpus} CPUs ` +
      `(${machine.cpuModel}), Node ${machine.node}, ${machine.postgres}, everything on the one ` +
      `machine. Load average before / after the run: ${machine.loadBefore} / ${machine.loadAfter}; ` +
      `other work on the machine shows up in the figures.`,
    '',
    'One flow is `POST /v1/requests` (requester, group engineering) → ' +
      '`POST /v1/requests/:id/approve` (approver, group sre-leads) → ' +
      '`POST /v1/requests/:id/credentials` (requester), over HTTP with keep-alive, against the ' +
      'real broker (`createBroker`, PostgreSQL, rate limit off, logs silent) started in the bench ' +
      'process; the load generator shares its event loop. Each step is one transaction. A flow ' +
      'writes one `access_requests` row, one `approvals` row, one `grants` row, two updates of ' +
      `the request and ${appends} \`audit_events\` rows (request: ` +
      `${facts.auditPerStep.create.join(', ')}; approve: ${facts.auditPerStep.approve.join(', ')}; ` +
      `mint: ${facts.auditPerStep.mint.join(', ')}). The raw \`pg\` baseline writes the same rows ` +
      'in the same three transactions from a `pg.Pool` of 32, on its own database. ' +
      `${flowsPerRun.c1} flows at concurrency 1 and ${flowsPerRun.c32} at concurrency 32 per path, ` +
      `after a warm-up, in ${flowsPerRun.rounds} rounds that alternate between the paths. ` +
      'Latencies are per mint call and per flow, nearest-rank percentiles. After the runs ' +
      `${facts.issued} requests were issued (${facts.notIssued} not) and the audit chain ` +
      `verified: ${facts.chain}.`,
    '',
    ...headline(figures),
    '',
    '### Where the time goes',
    '',
    "The same flow down the layers: raw `pg` with only the writes, with the broker's SQL (row " +
      'locks, reads, audit lock and chain-head reads), the same with the audit rows batched at ' +
      "commit (as the broker now buffers them), the broker's use cases " +
      'called in-process, and the broker over HTTP. Main-thread CPU is the JavaScript thread ' +
      'that runs the broker (and the load generator); Node CPU is the whole bench process (libuv ' +
      'and GC threads included); PostgreSQL CPU is the backends serving the database under ' +
      'test (WAL writer and checkpointer excluded), all read from /proc; "waiting for the audit lock" ' +
      'is the mean number of transactions `pg_locks` shows waiting, sampled every 25 ms.',
    '',
    ...breakdown(figures),
    '',
    ...components(figures),
    '',
    ...interpretation(figures),
    '',
  ];
  if (failures.length > 0) {
    lines.push('Failed flows:', '');
    for (const m of failures) {
      lines.push(`- ${PATH_LABELS[m.path]}, concurrency ${m.concurrency}: ${m.failures}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** Formats with the repository's prettier config when prettier is installed (a dev dependency). */
async function formatted(file: string, text: string): Promise<string> {
  try {
    const prettier = await import('prettier');
    const options = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(text, { ...options, filepath: file });
  } catch {
    return text;
  }
}

/** Replaces the section (up to the next `## ` heading) in the file, or appends it. */
export async function writeSection(
  file: string,
  section: string,
  heading = SECTION_HEADING,
): Promise<void> {
  const current = existsSync(file)
    ? readFileSync(file, 'utf8')
    : '# Performance\n\nFigures measured on this project; each section says how to reproduce it.\n';
  const start = current.indexOf(heading);
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${section.trimEnd()}\n`;
  } else {
    const after = current.indexOf('\n## ', start + heading.length);
    const rest = after === -1 ? '' : current.slice(after + 1);
    next = `${current.slice(0, start)}${section.trimEnd()}\n${rest ? `\n${rest}` : ''}`;
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, await formatted(file, next));
}
