import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StepFigures } from './flow-steps.js';
import type { Percentiles } from './support.js';

export const SECTION_HEADING = '## Core flow (request → approve → mint), PostgreSQL';

export type PathName =
  'broker' | 'in-process' | 'raw-statements' | 'raw-broker-sql' | 'raw-pipelined';

export const PATH_LABELS: Readonly<Record<PathName, string>> = {
  broker: 'broker over HTTP',
  'in-process': 'broker use cases in-process (no HTTP, no bearer tokens)',
  'raw-statements': 'raw `pg`: the same writes, one statement each (BEGIN … COMMIT)',
  'raw-broker-sql': "raw `pg`: the same plus the broker's two reads (request locked, approvals)",
  'raw-pipelined': 'raw `pg`: the same writes, one statement per step (data-modifying CTEs)',
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
  /** From an event's write (just before COMMIT) to its appearance in audit_events. */
  integrated?: Percentiles;
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
}

export interface FlowFacts {
  auditPerStep: { create: string[]; approve: string[]; mint: string[] };
  sqlPerStep: { create: StepSql; approve: StepSql; mint: StepSql };
  chain: string;
  issued: number;
  notIssued: number;
}

export interface StepRow {
  path: PathName;
  figures: StepFigures[];
}

export interface IntegratorFigures {
  batchSize: number;
  events: number;
  perSecond: number;
  all: number[];
  nodeUsPerEvent: number;
  pgUsPerEvent: number;
}

export interface ProcessFigures {
  processes: number;
  flows: number;
  rate: number;
  flow: Percentiles;
  mint: Percentiles;
  integrated: Percentiles;
  failures: string;
}

export interface Figures {
  machine: MachineInfo;
  facts: FlowFacts;
  flowsPerRun: { c1: number; c32: number; rounds: number; steps: number };
  measurements: Measurement[];
  steps: StepRow[];
  components: Component[];
  integrator: IntegratorFigures[];
  processes: ProcessFigures[];
  sign: { sequentialUs: number };
  verify: { sequentialUs: number };
  /** Main-thread CPU of one bare node:http request, server and client. */
  bareHttpUs: number;
  /** Main-thread CPU of one authenticated request refused by validation. */
  authMainUs: number;
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(value < 10 ? 2 : 1) : '–');
const rate = (value: number) => (Number.isFinite(value) ? Math.round(value).toString() : '–');
const pct = (fraction: number) => `${Math.round(fraction * 100)} %`;

export function find(figures: Figures, path: PathName, concurrency: number): Measurement {
  const found = figures.measurements.find((m) => m.path === path && m.concurrency === concurrency);
  if (!found) throw new Error(`no measurement for ${path} at c=${concurrency}`);
  return found;
}

const met = (ok: boolean) => (ok ? 'met' : '**missed**');

function targets(figures: Figures): string[] {
  const broker = find(figures, 'broker', 32);
  const pipelined = find(figures, 'raw-pipelined', 32);
  const statements = find(figures, 'raw-statements', 32);
  const best = Math.max(pipelined.rate, statements.rate);
  const integrator = bestBatch(figures);
  const [one, two] = [1, 2].map((n) => figures.processes.find((p) => p.processes === n));
  const integrated = broker.integrated?.p99 ?? NaN;
  return [
    '| target (concurrency 32) | measured | verdict |',
    '| --- | --- | --- |',
    `| broker flows/s ≥ 50 % of raw \`pg\` | ${rate(broker.rate)} flows/s = ${pct(broker.rate / best)} of the faster raw path (${rate(pipelined.rate)} one statement per step; ${pct(broker.rate / statements.rate)} of ${rate(statements.rate)} one statement per write) | ${met(broker.rate >= 0.5 * best)} |`,
    `| mint p99 < 25 ms | ${ms(broker.mint.p99)} ms (p50 ${ms(broker.mint.p50)}) | ${met(broker.mint.p99 < 25)} |`,
    `| commit → integrated p99 < 250 ms | ${ms(integrated)} ms (p50 ${ms(broker.integrated?.p50 ?? NaN)}) | ${met(integrated < 250)} |`,
    `| integrator ≥ 50k events/s | ${rate(integrator.perSecond)}/s (batch ${integrator.batchSize}) | ${met(integrator.perSecond >= 50_000)} |`,
    `| two broker processes on one database | ${rate(two?.rate ?? NaN)} flows/s combined (one process: ${rate(one?.rate ?? NaN)}) | – |`,
  ];
}

function bestBatch(figures: Figures): IntegratorFigures {
  return figures.integrator.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
}

function breakdown(figures: Figures): string[] {
  const rows = [
    '| path | concurrency | flows/s | ms per flow (1 / rate) | main-thread CPU ms per flow | Node CPU ms per flow | PostgreSQL CPU ms per flow | mint p50 / p99 (ms) | flow p50 / p99 (ms) | commit → integrated p50 / p99 (ms) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const paths = [
    'raw-pipelined',
    'raw-statements',
    'raw-broker-sql',
    'in-process',
    'broker',
  ] as const;
  for (const c of [1, 32]) {
    for (const path of paths) {
      const m = find(figures, path, c);
      const integrated = m.integrated ? `${ms(m.integrated.p50)} / ${ms(m.integrated.p99)}` : '–';
      rows.push(
        `| ${PATH_LABELS[path]} | ${c} | ${rate(m.rate)} | ${ms(1000 / m.rate)} | ${ms(m.mainThreadMsPerFlow)} | ${ms(m.nodeCpuMsPerFlow)} | ${ms(m.pgCpuMsPerFlow)} | ${ms(m.mint.p50)} / ${ms(m.mint.p99)} | ${ms(m.flow.p50)} / ${ms(m.flow.p99)} | ${integrated} |`,
      );
    }
  }
  return rows;
}

function stepTable(figures: Figures): string[] {
  const rows = [
    '| path | step | steps/s | p50 / p99 (ms) | main-thread CPU ms | Node CPU ms | PostgreSQL CPU ms |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of figures.steps) {
    for (const f of row.figures) {
      rows.push(
        `| ${PATH_LABELS[row.path]} | ${f.step} | ${rate(f.rate)} | ${ms(f.latency.p50)} / ${ms(f.latency.p99)} | ${ms(f.mainThreadMs)} | ${ms(f.nodeCpuMs)} | ${ms(f.pgCpuMs)} |`,
      );
    }
  }
  return rows;
}

function integratorTable(figures: Figures): string[] {
  const rows = [
    '| batch size | events per run | events/s (median) | runs (events/s) | Node main-thread CPU µs per event | PostgreSQL CPU µs per event |',
    '| ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const r of figures.integrator) {
    rows.push(
      `| ${r.batchSize} | ${r.events} | ${rate(r.perSecond)} | ${r.all.join(', ')} | ${r.nodeUsPerEvent.toFixed(1)} | ${r.pgUsPerEvent.toFixed(1)} |`,
    );
  }
  return rows;
}

function processTable(figures: Figures): string[] {
  const rows = [
    '| broker processes | flows | flows/s (combined) | mint p50 / p99 (ms) | flow p50 / p99 (ms) | commit → integrated p50 / p99 (ms) |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const p of figures.processes) {
    rows.push(
      `| ${p.processes} | ${p.flows} | ${rate(p.rate)} | ${ms(p.mint.p50)} / ${ms(p.mint.p99)} | ${ms(p.flow.p50)} / ${ms(p.flow.p99)} | ${ms(p.integrated.p50)} / ${ms(p.integrated.p99)} |`,
    );
  }
  return rows;
}

function components(figures: Figures): string[] {
  const rows = ['| operation | concurrency 1 | concurrency 32 |', '| --- | ---: | ---: |'];
  for (const c of figures.components) rows.push(`| ${c.name} | ${c.c1} | ${c.c32} |`);
  return rows;
}

/** The per-flow CPU no design removes, and the rate it allows on this machine's cores. */
function floor(figures: Figures): string[] {
  const broker = find(figures, 'broker', 32);
  const pipelined = find(figures, 'raw-pipelined', 32);
  const inProcess = find(figures, 'in-process', 32);
  const cores = figures.machine.cpus;
  const statementsMs = pipelined.nodeCpuMsPerFlow + pipelined.pgCpuMsPerFlow;
  const httpMs = (3 * figures.bareHttpUs) / 1000;
  const tokensMs = (3 * figures.verify.sequentialUs) / 1000;
  const signMs = figures.sign.sequentialUs / 1000;
  const floorMs = statementsMs + httpMs + tokensMs + signMs;
  const brokerMs = broker.nodeCpuMsPerFlow + broker.pgCpuMsPerFlow;
  const httpLayerMs = broker.mainThreadMsPerFlow - inProcess.mainThreadMsPerFlow;
  const mainBusy = (broker.rate * broker.mainThreadMsPerFlow) / 1000;
  const coresUsed = (broker.rate * brokerMs) / 1000;
  return [
    `**The floor.** What any design must spend per flow here: the writes themselves ` +
      `(${ms(statementsMs)} ms of CPU, Node ${ms(pipelined.nodeCpuMsPerFlow)} + PostgreSQL ` +
      `${ms(pipelined.pgCpuMsPerFlow)}, as raw \`pg\` sends them in one statement per step), three ` +
      `HTTP requests (${ms(httpMs)} ms: a bare \`node:http\` request costs ` +
      `${figures.bareHttpUs.toFixed(0)} µs of main-thread CPU, client included), three bearer ` +
      `token signature checks (${ms(tokensMs)} ms; 0 with the verified-token cache, once per ` +
      `token) and one credential signature (${ms(signMs)} ms): ${ms(floorMs)} ms, so at most ` +
      `${rate((cores * 1000) / floorMs)} flows/s on ${cores} cores if nothing else ran. ` +
      `The broker spends ${ms(brokerMs)} ms (Node ${ms(broker.nodeCpuMsPerFlow)}, load ` +
      `generator included, PostgreSQL ${ms(broker.pgCpuMsPerFlow)}), ` +
      `${(brokerMs / floorMs).toFixed(1)}× the floor; its main thread alone ` +
      `${ms(broker.mainThreadMsPerFlow)} ms, of which ${ms(httpLayerMs)} ms is the HTTP layer ` +
      `(over the use cases called in-process) and ${ms(inProcess.mainThreadMsPerFlow)} ms the use ` +
      `cases, TypeORM and \`pg\`. At ${rate(broker.rate)} flows/s the main thread is busy ` +
      `${pct(mainBusy)} of the time and the bench's processes use ${coresUsed.toFixed(2)} of the ` +
      `${cores} cores` +
      (mainBusy >= 0.8
        ? ': the one JavaScript thread is what caps the rate, not PostgreSQL.'
        : ` (load average ${figures.machine.loadAfter.split(' ')[0]} after the run): what caps the ` +
          'rate here is the CPU the rest of the machine leaves, of which a flow needs ' +
          `${ms(brokerMs)} ms.`),
    '',
    `**Latency at concurrency 32.** 32 clients each waiting for their answer make a closed loop: ` +
      `a step takes 32 / (steps per second) on average (Little's law), ` +
      `${ms((32 * 1000) / (3 * broker.rate))} ms at ${rate(broker.rate)} flows/s. A mint p99 under ` +
      `25 ms at concurrency 32 therefore needs about ${rate((32 * 1000) / 25 / 3)} flows/s or more ` +
      `(more still with any spread), ${((((32 * 1000) / 25 / 3) * floorMs) / 1000).toFixed(1)} cores ` +
      'at the floor above.',
  ];
}

export function renderSection(figures: Figures): string {
  const { machine, facts, flowsPerRun } = figures;
  const failures = figures.measurements.filter((m) => m.failures !== '');
  const appends =
    facts.auditPerStep.create.length +
    facts.auditPerStep.approve.length +
    facts.auditPerStep.mint.length;
  const sql = facts.sqlPerStep;
  const lines = [
    SECTION_HEADING,
    '',
    `Measured by \`npm run bench\` (bench/mint.ts) on ${machine.date}: ${machine.cpus} CPUs ` +
      `(${machine.cpuModel}), Node ${machine.node}, ${machine.postgres}, everything on the one ` +
      `machine, shared with other work. Load average before / after the run: ` +
      `${machine.loadBefore} / ${machine.loadAfter}.`,
    '',
    'One flow is `POST /v1/requests` (requester, group engineering) → ' +
      '`POST /v1/requests/:id/approve` (approver, group sre-leads) → ' +
      '`POST /v1/requests/:id/credentials` (requester), over HTTP with keep-alive, against the ' +
      'real broker (`createBroker`, PostgreSQL, rate limit off, logs silent) started in the bench ' +
      'process, whose `LogIntegrator` integrates the audit events as in production; the load ' +
      'generator shares its event loop. Each step is one transaction: a flow writes one ' +
      '`access_requests` row, one `approvals` row, one `grants` row and its `grant_revocations` ' +
      `row, two updates of the request and ${appends} \`audit_pending\` rows, each ` +
      "transaction's in one statement (request: " +
      `${facts.auditPerStep.create.join(', ')}; approve: ${facts.auditPerStep.approve.join(', ')}; ` +
      `mint: ${facts.auditPerStep.mint.join(', ')}). The broker's transactions send ` +
      `${sql.create.statements} + ${sql.approve.statements} + ${sql.mint.statements} statements ` +
      '(BEGIN and COMMIT included; approve and mint first read the request, locked, and its ' +
      'approvals). The raw `pg` baselines write the same rows from a `pg.Pool` of 32, each on ' +
      'its own database, in the same run. ' +
      `${flowsPerRun.c1} flows at concurrency 1 and ${flowsPerRun.c32} at concurrency 32 per path, ` +
      `after a warm-up, in ${flowsPerRun.rounds} rounds that alternate between the paths. ` +
      'Latencies are per mint call and per flow, nearest-rank percentiles. Commit → integrated ' +
      'is read from outside: every 5 ms a poller reads the events integrated since its last look, ' +
      "and each one's `at` (written just before its transaction's COMMIT) to then is its " +
      'latency, an upper bound by up to one poll. After the runs ' +
      `${facts.issued} requests were issued (${facts.notIssued} not) and the audit log ` +
      `verified: ${facts.chain}.`,
    '',
    ...targets(figures),
    '',
    '### Where the time goes',
    '',
    'Main-thread CPU is the JavaScript thread that runs the broker (and the load generator); ' +
      'Node CPU is the whole bench process (libuv and GC threads included); PostgreSQL CPU is the ' +
      'backends serving the database under test (WAL writer and checkpointer excluded), all read ' +
      'from /proc/<pid>/schedstat (nanoseconds, not 10 ms ticks).',
    '',
    ...breakdown(figures),
    '',
    `Each step on its own at concurrency 32: ${flowsPerRun.steps} creates, then their ` +
      'approvals, then their mints, CPU per step (the integrator included where it runs).',
    '',
    ...stepTable(figures),
    '',
    ...floor(figures),
    '',
    '### The integrator alone',
    '',
    "Pending events (the flow's three transactions' shapes, one `txn` each) put into " +
      '`audit_pending` by COPY, then one `LogIntegrator.catchUp()` timed: seq and chain, ' +
      'the Merkle tiles, `audit_events` by COPY, a signed checkpoint at most every second; ' +
      `${flowsPerRun.rounds} runs per batch size, sizes rotated.`,
    '',
    ...integratorTable(figures),
    '',
    '### Two broker processes on one database',
    '',
    'Brokers in child processes (bench/broker-process.ts), on a database of their own, driven ' +
      'at concurrency 32 in all from the bench process (a flow goes to one broker, flows ' +
      'alternate); one integrates at a time (the advisory lock), the other retries.',
    '',
    ...processTable(figures),
    '',
    '### Components',
    '',
    ...components(figures),
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
