import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { DATA_SOURCE } from '#access';
import { parseConfig } from '#config';
import { SshCaKeyRow } from '#persistence';
import { createBroker } from '../../apps/broker/src/bootstrap.js';
import { auditTrail } from '../support/audit.js';
import { startBroker, testConfigYaml } from '../support/broker.js';
import type { FreshDatabase } from '../support/databases.js';
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js';
import { as, createRequest } from '../support/flow.js';
import { newKeyPair } from '../support/sshd.js';
import { TestIssuer } from '../support/test-issuer.js';

jest.setTimeout(60_000);

const sshRole = `
    - name: ssh-ops
      resource: ssh://fleet.example.com
      actions: [login]
      maxDuration: 1h
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads] }
      provider: { type: ssh, principals: [deploy] }
`;

function caRows(app: INestApplication): Promise<SshCaKeyRow[]> {
  return app
    .get<DataSource>(DATA_SOURCE)
    .manager.find(SshCaKeyRow, { order: { generation: 'ASC' } });
}

/**
 * The SSH CA key at rest (docs/providers.md "SSH certificates"): sealed under
 * COUNTERSIGN_ENCRYPTION_KEY, and a key a demo-style run stored in the clear sealed at the next
 * start with one, recorded once, still signing.
 */
describe.each(DATABASE_KINDS)('the SSH CA key at rest on %s', (kind) => {
  let issuer: TestIssuer;
  let database: FreshDatabase;
  let keys: string;

  beforeAll(async () => {
    issuer = await TestIssuer.start();
    database = await freshDatabase(kind);
    keys = mkdtempSync(join(tmpdir(), 'countersign-ssh-at-rest-'));
  });

  afterAll(async () => {
    await database?.drop();
    await issuer?.close();
    if (keys) rmSync(keys, { recursive: true, force: true });
  });

  it('is sealed at the next start after a run without an encryption key, once, and still signs', async () => {
    // A demo-style run: no encryption key, so the CA key is made in the clear.
    const env = { DATABASE_URL: database.url, TEST_QUEUE_PREFIX: database.queuePrefix };
    // As the demo runs: with its own issuer beside the test one.
    const yaml = testConfigYaml(issuer, sshRole).replace(
      '      groupsClaim: groups\n',
      `      groupsClaim: groups
    - name: demo
      issuer: http://127.0.0.1:3999/demo
      jwksUri: http://127.0.0.1:3999/demo/jwks.json
      audience: countersign
`,
    );
    const config = parseConfig(yaml, env, { demo: true });
    expect(config.encryptionKey).toBeUndefined();
    const demo = await createBroker(config, { logLevel: 'silent', backgroundJobs: false });
    await demo.init();
    let published: string;
    try {
      published = (
        await request(demo.getHttpServer()).get('/.well-known/countersign-ssh-ca.pub').expect(200)
      ).text;
      const [clear] = await caRows(demo);
      expect(clear.encrypted).toBe(false);
      expect(clear.privateKey).toContain('BEGIN PRIVATE KEY');
    } finally {
      await demo.close();
    }

    const broker = await startBroker({
      kind,
      issuer,
      database,
      yaml: testConfigYaml(issuer, sshRole),
    });
    try {
      const [sealed] = await caRows(broker.app);
      expect(sealed.encrypted).toBe(true);
      expect(sealed.privateKey).not.toContain('PRIVATE KEY');
      const again = await broker.http.get('/.well-known/countersign-ssh-ca.pub').expect(200);
      expect(again.text).toBe(published);
      const events = await auditTrail(broker, { type: 'key.encrypted' });
      expect(events.map((event) => [event.actor, event.data])).toContainEqual([
        'system',
        { purpose: 'ssh', keyId: sealed.kid },
      ]);
      expect(JSON.stringify(events)).not.toContain('PRIVATE KEY');

      // The sealed key signs: a certificate issued now names it as its CA.
      const filed = await createRequest(broker, 'alice', {
        role: 'ssh-ops',
        justification: 'INC-9',
      });
      await (await as(broker, 'bob')).post(`/v1/requests/${filed.id}/approve`).expect(200);
      const key = newKeyPair(keys, 'user');
      const minted = await (
        await as(broker, 'alice')
      )
        .post(`/v1/requests/${filed.id}/credentials`, {
          sshPublicKey: readFileSync(`${key}.pub`, 'utf8'),
        })
        .expect(201);
      const certificate = join(keys, 'user-cert.pub');
      const { credential } = minted.body as { credential: { certificate: string } };
      writeFileSync(certificate, `${credential.certificate}\n`);
      const listed = execFileSync('ssh-keygen', ['-L', '-f', certificate]).toString();
      expect(listed).toContain(`Signing CA: ED25519 ${sealed.kid}`);
    } finally {
      await broker.close();
    }

    // Sealed once: a further start records nothing more.
    const restarted = await startBroker({
      kind,
      issuer,
      database,
      yaml: testConfigYaml(issuer, sshRole),
    });
    try {
      const events = await auditTrail(restarted, { type: 'key.encrypted' });
      expect(events.filter((event) => event.data.purpose === 'ssh')).toHaveLength(1);
    } finally {
      await restarted.close();
    }
  });
});
