import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { run } from '../../apps/cli/src/run.js';
import type { DatabaseKind } from './databases.js';
import type { TestBroker } from './broker.js';
import { startBroker, testConfigYaml } from './broker.js';
import { as, eventually } from './flow.js';
import { TestIssuer } from './test-issuer.js';

const exec = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');

/** A JSON answer as the CLI specs read it: fields to match, and `items` for lists. */
export interface JsonDoc {
  [field: string]: unknown;
  items: { id: string; type: string }[];
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => JsonDoc;
}

export interface CliOptions {
  /** Runs as this user (COUNTERSIGN_TOKEN); with the stored login when absent. */
  as?: string;
  env?: Record<string, string>;
  stdin?: string;
}

/** A role that allows break-glass, for `roles` to show. */
const BREAK_GLASS_ROLE = `
    - name: emergency
      resource: https://ops.example.com
      actions: [ops:all]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      approvalsRequired: 2
      breakGlass: { maxDuration: 10m, reviewWithin: 1h, notify: { slack: false } }
`;

/** The broker the CLI specs talk to, listening on a port, and the CLI run in-process against it. */
export interface CliBroker {
  issuer: TestIssuer;
  broker: TestBroker;
  url: string;
  /** XDG_CONFIG_HOME of every run unless the run sets its own: no stored login in it. */
  configHome: string;
  cli: (args: string[], options?: CliOptions) => Promise<CliResult>;
  /** The id of `requester`'s first pending request, as bob sees it to approve, once there is one. */
  pendingFor: (requester: string) => Promise<string>;
  close: () => Promise<void>;
}

class Capture {
  text = '';
  constructor(readonly isTTY = false) {}
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A broker on `kind` with the test config and a break-glass role, listening on 127.0.0.1. */
export async function startCliBroker(kind: DatabaseKind): Promise<CliBroker> {
  const issuer = await TestIssuer.start();
  const broker = await startBroker({
    kind,
    issuer,
    yaml: testConfigYaml(issuer, BREAK_GLASS_ROLE),
  });
  await broker.app.listen(0, '127.0.0.1');
  const { port } = (broker.app.getHttpServer() as Server).address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const configHome = await mkdtemp(join(tmpdir(), 'countersign-cli-'));

  async function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
    const stdout = new Capture();
    const stderr = new Capture();
    const env: Record<string, string> = {
      XDG_CONFIG_HOME: configHome,
      COUNTERSIGN_URL: url,
      ...(options.as ? { COUNTERSIGN_TOKEN: await broker.token(options.as) } : {}),
      ...options.env,
    };
    const stdin =
      options.stdin === undefined
        ? undefined
        : Object.assign(Readable.from([Buffer.from(options.stdin)]), { isTTY: false });
    const code = await run(args, { stdout, stderr, env, stdin });
    return {
      code,
      stdout: stdout.text,
      stderr: stderr.text,
      json: () => JSON.parse(stdout.text) as JsonDoc,
    };
  }

  const pendingFor = (requester: string) =>
    eventually(async () => {
      const page = await (
        await as(broker, 'bob')
      ).get('/v1/requests?status=pending&toApprove=true');
      const items = page.body.items as { id: string; requester: string }[];
      return items.find((item) => item.requester === `corp:${requester}`)?.id;
    }, 10_000);

  return {
    issuer,
    broker,
    url,
    configHome,
    cli,
    pendingFor,
    close: async () => {
      await broker.close();
      await issuer.close();
      await rm(configHome, { recursive: true, force: true });
    },
  };
}

/** The CLI built as the package ships it, to run as a process. */
export interface BuiltCli {
  /** The `countersign` bin: `<dir>/apps/cli/src/main.js`. */
  bin: string;
  remove: () => Promise<void>;
}

/**
 * Builds the CLI alone into dist/<name>-<pid>, a directory of its own, so a spec never races
 * another spec's build (or `npm run build`) into dist/apps. Only the CLI: its commands load nothing
 * from the server (only `evidence verify` loads libs/evidence, through package.json's imports), and
 * others may be mid-edit there. swc is run by node directly: npx would add about a second.
 */
export async function buildCli(name: string): Promise<BuiltCli> {
  const dir = join(ROOT, 'dist', `${name}-${process.pid}`);
  const swc = join(ROOT, 'node_modules', '@swc', 'cli', 'bin', 'swc.js');
  await exec(
    process.execPath,
    [swc, 'apps/cli', '-d', dir, '--ignore', '**/*.spec.ts', '--quiet'],
    { cwd: ROOT },
  );
  return {
    bin: join(dir, 'apps', 'cli', 'src', 'main.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
