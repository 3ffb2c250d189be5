#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { verifyEvidence } from '#evidence';

const USAGE = `usage: countersign-verify <evidence.json | -> --jwks <jwks.json | https://…/.well-known/jwks.json> [--json]

Checks an evidence bundle from GET /v1/requests/:id/evidence offline: the broker's seal, every
approval receipt, separation of duties, the issuance and each audit event's hash.
Exit 0 when every check passes, 1 when one fails, 2 on bad usage or unreadable input.`;

/** Reads the JWKS from a file, or over HTTP(S) when given a URL: the broker's published keys. */
async function loadJwks(source: string): Promise<JSONWebKeySet> {
  if (/^https?:\/\//.test(source)) {
    const response = await fetch(source, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${source} answered ${response.status}`);
    return (await response.json()) as JSONWebKeySet;
  }
  return JSON.parse(await readFile(source, 'utf8')) as JSONWebKeySet;
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
  const positional = args.filter((arg, i) => !arg.startsWith('--') && i !== jwksAt + 1);
  if (!jwksSource || positional.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  let text: string;
  let jwks: JSONWebKeySet;
  try {
    [text, jwks] = await Promise.all([readInput(positional[0]), loadJwks(jwksSource)]);
  } catch (error) {
    process.stderr.write(`countersign-verify: ${(error as Error).message}\n`);
    return 2;
  }
  const report = await verifyEvidence(text, jwks);
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    for (const check of report.checks) {
      process.stdout.write(
        `${check.ok ? 'ok  ' : 'FAIL'} ${check.check}${check.detail ? `: ${check.detail}` : ''}\n`,
      );
    }
    process.stdout.write(report.ok ? 'evidence verified\n' : 'evidence does NOT verify\n');
  }
  return report.ok ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
