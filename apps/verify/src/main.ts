#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { verifyEvidence } from '#evidence';

const USAGE = `usage: countersign-verify <evidence.json | -> --jwks <jwks.json | https://…/.well-known/jwks.json>
       [--log-key <log-key.txt | https://…/.well-known/countersign-log-key>] [--json]

Checks an evidence bundle from GET /v1/requests/:id/evidence offline: the broker's seal, every
approval receipt and passkey signature, separation of duties, the issuance, each audit event's hash
and its inclusion in the audit log under a checkpoint signed by the log key (--log-key, else the
bundle's own), and says which approvals are passkey-signed and which only broker-attested.
Exit 0 when every check passes, 1 when one fails, 2 on bad usage or unreadable input.`;

const MAX_LOG_KEY_BYTES = 1024;

/** Reads the JWKS from a file, or over HTTP(S) when given a URL: the broker's published keys. */
async function loadJwks(source: string): Promise<JSONWebKeySet> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${source} answered ${response.status}`);
    return (await response.json()) as JSONWebKeySet;
  }
  return JSON.parse(await readFile(source, 'utf8')) as JSONWebKeySet;
}

/** The audit log's note verifier key, one line, from a file or over HTTP(S). */
async function loadLogKey(source: string): Promise<string> {
  let text: string;
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${source} answered ${response.status}`);
    text = await response.text();
  } else {
    text = await readFile(source, 'utf8');
  }
  if (text.length > MAX_LOG_KEY_BYTES || text.trim().includes('\n')) {
    throw new Error(`${source} is not a log key (one line: <origin>+<key id>+<base64 key>)`);
  }
  return text;
}

async function readInput(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  const json = args.includes('--json');
  const jwksAt = args.indexOf('--jwks');
  const jwksSource = jwksAt >= 0 ? args[jwksAt + 1] : undefined;
  const logKeyAt = args.indexOf('--log-key');
  const logKeySource = logKeyAt >= 0 ? args[logKeyAt + 1] : undefined;
  const values = new Set([jwksAt + 1, ...(logKeyAt >= 0 ? [logKeyAt + 1] : [])]);
  const positional = args.filter((arg, i) => !arg.startsWith('--') && !values.has(i));
  const badLogKey = logKeyAt >= 0 && (!logKeySource || logKeySource.startsWith('--'));
  if (!jwksSource || positional.length !== 1 || badLogKey) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let text: string;
  let jwks: JSONWebKeySet;
  let logKey: string | undefined;
  try {
    [text, jwks, logKey] = await Promise.all([
      readInput(positional[0]),
      loadJwks(jwksSource),
      logKeySource === undefined ? undefined : loadLogKey(logKeySource),
    ]);
  } catch (error) {
    process.stderr.write(`countersign-verify: ${(error as Error).message}\n`);
    return 2;
  }
  const report = await verifyEvidence(text, jwks, { logKey });
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const check of report.checks) {
      process.stdout.write(
        `${check.ok ? 'ok  ' : 'FAIL'} ${check.check}${check.detail ? `: ${check.detail}` : ''}\n`,
      );
    }
    const attested = report.approvals ?? [];
    if (attested.length > 0) {
      const each = attested.map((a) => `${a.approver} ${a.attestation}`);
      process.stdout.write(`approvals: ${each.join(', ')}\n`);
    }
    process.stdout.write(report.ok ? 'evidence verified\n' : 'evidence does NOT verify\n');
  }
  return report.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
