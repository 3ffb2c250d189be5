// The `countersign` CLI, run in-process against a broker: credentials (`creds`), signing keys
// (`keys rotate`) and the evidence bundle (`evidence`, `evidence verify`).

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { ExitCode } from '../../apps/cli/src/exit-codes.js';
import type { TestBroker } from '../support/broker.js';
import type { CliBroker } from '../support/cli.js';
import { startCliBroker } from '../support/cli.js';
import { as, createRequest } from '../support/flow.js';

import.meta.jest.setTimeout(30_000);

describe.each(['sqlite', 'postgres'] as const)(
  'countersign CLI against the broker on %s',
  (kind) => {
    let session: CliBroker;
    let broker: TestBroker;
    let url: string;
    let cli: CliBroker['cli'];

    beforeAll(async () => {
      session = await startCliBroker(kind);
      ({ broker, url, cli } = session);
    });

    afterAll(async () => {
      await session.close();
    });

    describe('creds', () => {
      const approved = async () => {
        const id = (await createRequest(broker, 'alice')).id;
        await (await as(broker, 'bob')).post(`/v1/requests/${id}/approve`).expect(200);
        return id;
      };

      it('prints the JWT alone on stdout, the grant on stderr', async () => {
        const result = await cli(['creds', await approved()], { as: 'alice' });
        expect(result.code).toBe(0);
        const token = result.stdout.trim();
        expect(result.stdout).toBe(`${token}\n`);
        expect(decodeJwt(token)).toMatchObject({ sub: 'corp:alice', role: 'prod-db-admin' });
        expect(result.stderr).toMatch(/^grant [0-9a-f-]{36}, expires .+Z \(in 1[45]m\d*s?\)\n$/);
      });

      it('--env prints the shell export line', async () => {
        const result = await cli(['creds', await approved(), '--env'], { as: 'alice' });
        expect(result.code).toBe(0);
        const match = /^export COUNTERSIGN_CREDENTIAL='([\w.-]+)'\n$/.exec(result.stdout);
        expect(match).not.toBeNull();
        expect(decodeJwt(match![1]).sub).toBe('corp:alice');
      });

      it('a second mint is a conflict that says the credential is shown once', async () => {
        const id = await approved();
        expect((await cli(['creds', id], { as: 'alice' })).code).toBe(0);
        const again = await cli(['creds', id], { as: 'alice' });
        expect(again.code).toBe(ExitCode.conflict);
        expect(again.stdout).toBe('');
        expect(again.stderr).toContain('a credential is minted once');
      });
    });

    describe('keys rotate', () => {
      it('lets an admin rotate the signing key, and refuses anyone else (exit 4)', async () => {
        const refused = await cli(['keys', 'rotate'], { as: 'alice' });
        expect(refused.code).toBe(ExitCode.refused);
        expect(refused.stderr).toBe(
          'countersign: only admins can rotate signing keys [not_admin]\n',
        );
        const jwks = async () =>
          (
            (await broker.http.get('/.well-known/jwks.json').expect(200)).body as {
              keys: { kid: string }[];
            }
          ).keys.map((key) => key.kid);
        const before = await jwks();

        const rotated = await cli(['keys', 'rotate', '--json'], { as: 'dave' });
        expect(rotated.code).toBe(0);
        const body = rotated.json() as unknown as { kid: string; retired: string[] };
        expect(rotated.json()).toEqual({ kid: body.kid, retired: before, publishedFor: 7200 });
        expect((await jwks()).sort()).toEqual([...before, body.kid].sort());

        const again = await cli(['keys', 'rotate'], { as: 'dave' });
        expect(again.code).toBe(0);
        expect(again.stdout).toMatch(
          new RegExp(`^new signing key \\S+\nretired ${body.kid}: kept in JWKS for 2h\n$`),
        );
      });
    });

    describe('evidence', () => {
      let dir: string;
      let id: string;

      beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), 'countersign-evidence-'));
        id = (await createRequest(broker, 'alice')).id;
        await (await as(broker, 'bob')).post(`/v1/requests/${id}/approve`).expect(200);
        await (await as(broker, 'alice')).post(`/v1/requests/${id}/credentials`).expect(201);
      });

      afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
      });

      it('saves the bundle byte for byte, and verifies it against the broker keys (exit 0)', async () => {
        const file = join(dir, 'saved.json');
        const saved = await cli(['evidence', id, '-o', file], { as: 'alice' });
        expect(saved.code).toBe(0);
        const bytes = await readFile(file);
        expect(saved.stdout).toMatch(
          new RegExp(
            `^evidence of request ${id} written to .+ \\(${bytes.length} bytes, sha256 [0-9a-f]{64}\\)\n$`,
          ),
        );
        expect(saved.stderr).toBe(`check it with \`countersign evidence verify ${file}\`\n`);

        const verified = await cli(['evidence', 'verify', file]);
        expect(verified.code).toBe(ExitCode.ok);
        expect(verified.stdout).toContain('ok   seal\n');
        expect(verified.stdout).toContain('ok   approval[0] corp:bob\n');
        expect(verified.stdout).toMatch(
          /\nevidence verified \(keys from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/countersign-evidence-keys\.json\)\n$/,
        );
        const asJson = await cli(['evidence', 'verify', file, '--json']);
        expect(asJson.json()).toMatchObject({
          ok: true,
          jwks: `${url}/.well-known/countersign-evidence-keys.json`,
        });
      });

      it('prints the exact bytes on stdout, even under --json, and reads them back from stdin', async () => {
        const printed = await cli(['evidence', id, '--json'], { as: 'alice' });
        expect(printed.code).toBe(0);
        expect(printed.stdout.endsWith('}')).toBe(true);
        expect(JSON.parse(printed.stdout)).toHaveProperty('seal');
        const jwksFile = join(dir, 'jwks.json');
        const jwks = await broker.http.get('/.well-known/jwks.json').expect(200);
        await writeFile(jwksFile, jwks.text);
        const fromStdin = await cli(['evidence', 'verify', '-', '--jwks', jwksFile], {
          stdin: printed.stdout,
        });
        expect(fromStdin.code).toBe(ExitCode.ok);
        expect(fromStdin.stdout).toContain(`evidence verified (keys from ${jwksFile})`);
      });

      it('fails an altered byte, or other keys, with its own exit code (15)', async () => {
        const file = join(dir, 'altered.json');
        expect((await cli(['evidence', id, '-o', file], { as: 'alice' })).code).toBe(0);
        const bytes = await readFile(file);
        const at = bytes.indexOf('corp:alice') + 'corp:alic'.length;
        bytes[at] = 'f'.charCodeAt(0); // corp:alice -> corp:alicf: still valid JSON
        await writeFile(file, bytes);
        const altered = await cli(['evidence', 'verify', file]);
        expect(altered.code).toBe(ExitCode.evidenceInvalid);
        expect(altered.stdout).toMatch(/^FAIL /m);
        expect(altered.stdout).toContain('evidence does NOT verify');
        const asJson = await cli(['evidence', 'verify', file, '--json']);
        expect(asJson.code).toBe(ExitCode.evidenceInvalid);
        expect(asJson.json()).toMatchObject({ ok: false });

        const good = join(dir, 'good.json');
        expect((await cli(['evidence', id, '-o', good], { as: 'alice' })).code).toBe(0);
        const { publicKey } = await generateKeyPair('EdDSA');
        const otherKeys = join(dir, 'other-jwks.json');
        const jwk = { ...(await exportJWK(publicKey)), kid: 'other', alg: 'EdDSA' };
        await writeFile(otherKeys, JSON.stringify({ keys: [jwk] }));
        const foreign = await cli(['evidence', 'verify', good, '--jwks', otherKeys]);
        expect(foreign.code).toBe(ExitCode.evidenceInvalid);
        expect(foreign.stdout).toMatch(/^FAIL seal/m);
      });

      it('answers 404 for a request you may not see, and a usage error for a missing file', async () => {
        expect((await cli(['evidence', id], { as: 'mallory' })).code).toBe(ExitCode.notFound);
        const missing = await cli(['evidence', 'verify', join(dir, 'nope.json')]);
        expect(missing.code).toBe(ExitCode.usage);
        expect(missing.stderr).toContain('cannot read');
        expect(missing.stderr).toContain('ENOENT');
      });
    });
  },
);
