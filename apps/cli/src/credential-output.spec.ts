import { credentialText, envExports } from './credential-output.js';

describe('creds --env', () => {
  it("exports a JWT as COUNTERSIGN_CREDENTIAL, not as the CLI's own COUNTERSIGN_TOKEN", () => {
    expect(envExports({ type: 'jwt', token: 'aaa.bbb.ccc' })).toBe(
      "export COUNTERSIGN_CREDENTIAL='aaa.bbb.ccc'\n",
    );
  });

  it("exports a postgres credential as libpq's PG* variables, shell-quoted", () => {
    expect(
      envExports({
        type: 'postgres',
        host: 'db.internal',
        port: 5432,
        database: 'payments',
        username: 'cs_0192',
        password: "p'w$x",
        url: 'postgres://cs_0192:…@db.internal:5432/payments',
      }),
    ).toBe(
      "export PGHOST='db.internal' PGPORT='5432' PGDATABASE='payments' PGUSER='cs_0192' PGPASSWORD='p'\\''w$x'\n",
    );
  });

  it('has no export form for other credential types', () => {
    expect(envExports({ type: 'webhook', reference: 'x' })).toBeUndefined();
  });
});

describe('creds', () => {
  it('prints a JWT alone on its line', () => {
    expect(credentialText({ type: 'jwt', token: 'aaa.bbb.ccc' })).toBe('aaa.bbb.ccc\n');
  });

  it('prints other credentials as aligned fields', () => {
    expect(credentialText({ type: 'postgres', host: 'db', port: 5432 })).toBe(
      'host  db\nport  5432\n',
    );
  });
});
