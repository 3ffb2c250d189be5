import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import type { EvidenceReport } from '#evidence';
import { networkFailure } from '../broker-errors.js';
import type { Context, InputStream, Outcome } from '../context.js';
import { CliError, ExitCode, usageError } from '../exit-codes.js';
import { terminalText as t } from '../terminal-text.js';

const TIMEOUT_MS = 30_000;
const MAX_EVIDENCE_BYTES = 64 * 1024 * 1024;
const MAX_JWKS_BYTES = 1024 * 1024;
// A log's keys, one a line: a hundred rotations of ~90-character lines.
const MAX_LOG_KEY_BYTES = 16 * 1024;

/**
 * `evidence <requestId> [-o file]`: the sealed evidence bundle, byte for byte as the broker served
 * it. The seal covers the canonical text, so it is never parsed and re-serialised on the way.
 */
export async function evidence(
  ctx: Context,
  id: string,
  options: { output?: string },
): Promise<Outcome> {
  const bytes = await (await ctx.client()).bytes(`/v1/requests/${id}/evidence`);
  if (options.output === undefined) {
    // No newline added: the bytes on stdout are the document (`> file` keeps it verifiable).
    return { data: undefined, text: utf8(bytes) ?? badText(), verbatim: true };
  }
  const file = options.output;
  await writeFile(file, bytes).catch((error: unknown) => {
    throw usageError(`cannot write ${file} (${errorCode(error)})`);
  });
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  ctx.note(`check it with \`countersign evidence verify ${t(file)}\``);
  return {
    data: { requestId: id, file, bytes: bytes.length, sha256 },
    text: `evidence of request ${t(id)} written to ${t(file)} (${bytes.length} bytes, sha256 ${sha256})\n`,
  };
}

/**
 * `evidence verify <file> [--jwks <file|url>] [--log-key <file|url>]`: the offline checks of
 * libs/evidence (the seal, each approval receipt and passkey signature, separation of duties, the
 * issuance, each audit event's hash and its inclusion in the audit log) against the broker's
 * published keys, and who vouches for each approval: the approver's passkey or only the broker.
 * A bundle that fails any check exits 15.
 */
export async function verifyEvidenceFile(
  ctx: Context,
  file: string,
  options: { jwks?: string; logKey?: string },
): Promise<Outcome> {
  const bytes = await readEvidence(ctx, file);
  const source = options.jwks ?? `${ctx.url}/.well-known/countersign-evidence-keys.json`;
  const jwks = await loadJwks(ctx, source);
  const logKey = options.logKey === undefined ? undefined : await loadLogKey(ctx, options.logKey);
  const text = utf8(bytes);
  // Loaded here only: the verifier brings jose and the audit hashing, which no other command needs.
  const { verifyEvidence } = await import('#evidence');
  const report: EvidenceReport =
    text === undefined
      ? { ok: false, checks: [{ check: 'utf-8', ok: false, detail: 'not UTF-8 text' }] }
      : await verifyEvidence(text, jwks, { logKey });
  const lines = report.checks.map(
    (check) =>
      `${check.ok ? 'ok  ' : 'FAIL'} ${t(check.check)}${check.detail ? `: ${t(check.detail)}` : ''}`,
  );
  const attested = report.approvals ?? [];
  if (attested.length > 0) {
    const each = attested.map((a) => `${t(a.approver)} ${a.attestation}`);
    lines.push(`approvals: ${each.join(', ')}`);
  }
  const verdict = report.ok ? 'evidence verified' : 'evidence does NOT verify';
  return {
    data: { ...report, jwks: source },
    text: `${lines.join('\n')}\n${verdict} (keys from ${t(source)})\n`,
    exitCode: report.ok ? ExitCode.ok : ExitCode.evidenceInvalid,
  };
}

/** Strict UTF-8, a byte-order mark kept: undefined when the bytes are not UTF-8 text. */
function utf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function badText(): never {
  throw new CliError(ExitCode.error, 'the broker sent evidence that is not UTF-8 text', {
    code: 'unexpected_answer',
    hint: 'is --url a countersign broker?',
  });
}

async function readEvidence(ctx: Context, file: string): Promise<Buffer> {
  if (file === '-') {
    const stdin = ctx.io.stdin;
    if (!stdin || stdin.isTTY)
      throw usageError('no evidence on stdin', 'pipe a file in, or name it');
    return readBounded(stdin, MAX_EVIDENCE_BYTES, 'the evidence on stdin');
  }
  return readFile(file).catch((error: unknown) => {
    throw usageError(`cannot read ${file} (${errorCode(error)})`);
  });
}

/** The keys the bundle should be sealed with: a JWKS file, or fetched from a URL. */
async function loadJwks(ctx: Context, source: string): Promise<JSONWebKeySet> {
  const fromUrl = /^https?:\/\//i.test(source);
  const text = fromUrl
    ? await fetchText(ctx, source)
    : await readFile(source, 'utf8').catch((error: unknown) => {
        throw usageError(`cannot read ${source} (${errorCode(error)})`);
      });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const keys = (parsed as { keys?: unknown } | undefined)?.keys;
  if (!Array.isArray(keys)) {
    const message = `${source} is not a JWKS (a JSON object with a "keys" array)`;
    throw fromUrl
      ? new CliError(ExitCode.error, message, { code: 'unexpected_answer' })
      : usageError(message);
  }
  return parsed as JSONWebKeySet;
}

/** The audit log's verifier keys, one a line: a file, or fetched from a URL. */
export async function loadLogKey(ctx: Context, source: string): Promise<string> {
  const text = /^https?:\/\//i.test(source)
    ? await fetchText(ctx, source, '--log-key')
    : await readFile(source, 'utf8').catch((error: unknown) => {
        throw usageError(`cannot read ${source} (${errorCode(error)})`);
      });
  if (text.length > MAX_LOG_KEY_BYTES || text.trim() === '') {
    throw usageError(`${source} is not a log key (lines of <origin>+<key id>+<base64 key>)`);
  }
  return text;
}

async function fetchText(ctx: Context, url: string, option = '--jwks'): Promise<string> {
  let response: Response;
  try {
    response = await ctx.fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (error) {
    throw new CliError(ExitCode.unavailable, `cannot fetch ${url} (${networkFailure(error)})`, {
      code: 'unreachable',
      hint: `give the keys with ${option} <file|url>`,
    });
  }
  if (!response.ok) {
    throw new CliError(ExitCode.error, `${url} answered HTTP ${response.status}`, {
      code: 'unexpected_answer',
      hint: `give the keys with ${option} <file|url>`,
    });
  }
  const text = await response.text();
  if (text.length > MAX_JWKS_BYTES) {
    throw new CliError(ExitCode.error, `${url} answered more than a JWKS holds`, {
      code: 'unexpected_answer',
    });
  }
  return text;
}

async function readBounded(input: InputStream, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    size += buffer.length;
    if (size > max) throw usageError(`${what} is larger than ${max / 1024 / 1024} MB`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? (error instanceof Error ? error.message : 'error');
}
