import { parseConfig } from './index.js';

const ENV = { COUNTERSIGN_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') };
const DEPLOYER = 'spiffe:spiffe://example.org/ns/ci/sa/deployer';

/** A config with one issuer of people and one SPIFFE trust domain; parts may be replaced. */
function yaml(options: { spiffe?: string; owners?: string; policy?: string } = {}): string {
  return `
auth:
  issuers:
    - name: corp
      issuer: https://idp.example.com
      jwksUri: https://idp.example.com/jwks
      audience: countersign
${
  options.spiffe ??
  `    - name: workloads
      kind: spiffe
      trustDomain: example.org
      jwksUri: https://spire.example.org/keys
      audience: countersign`
}
owners:
${options.owners ?? `  "${DEPLOYER}": "corp:alice"`}
policy:
${options.policy ?? ''}
  roles:
    - name: ops
      resource: https://ops.example.com
      actions: [ops:run]
      maxDuration: 1h
      requesters: { principals: ["${DEPLOYER}", "local:ci"] }
      approvers: { groups: [sre] }
`;
}

function fieldOf(text: string): string | undefined {
  try {
    parseConfig(text, ENV);
    return undefined;
  } catch (error) {
    return `${(error as { field: string }).field} | ${(error as Error).message}`;
  }
}

describe('parseConfig: identity', () => {
  it('splits issuers by kind; no kind is the OpenID kind', () => {
    const config = parseConfig(yaml(), ENV);
    expect(config.issuers).toEqual([
      {
        name: 'corp',
        issuer: 'https://idp.example.com',
        jwksUri: 'https://idp.example.com/jwks',
        audience: 'countersign',
      },
    ]);
    expect(config.workloadIssuers).toEqual([
      {
        name: 'workloads',
        trustDomain: 'example.org',
        jwksUri: 'https://spire.example.org/keys',
        audience: 'countersign',
      },
    ]);
    expect(config.owners).toEqual({ [DEPLOYER]: 'corp:alice' });
  });

  it('accepts a bundle file instead of a JWKS URL', () => {
    const spiffe = `    - name: spiffe
      kind: spiffe
      trustDomain: example.org
      bundleFile: /etc/countersign/bundle.json
      audience: countersign`;
    expect(parseConfig(yaml({ spiffe }), ENV).workloadIssuers).toEqual([
      {
        name: 'spiffe',
        trustDomain: 'example.org',
        bundleFile: '/etc/countersign/bundle.json',
        audience: 'countersign',
      },
    ]);
  });

  it('reads policy.approverBots', () => {
    const policy = `  approverBots: ["${DEPLOYER}", "local:release"]`;
    expect(parseConfig(yaml({ policy }), ENV).policy.approverBots).toEqual([
      DEPLOYER,
      'local:release',
    ]);
  });

  const spiffeIssuer = (lines: string) => `    - name: workloads
      kind: spiffe
${lines}`;

  it.each<[string, Parameters<typeof yaml>[0], RegExp]>([
    [
      'both a JWKS URL and a bundle file',
      {
        spiffe: spiffeIssuer(
          '      trustDomain: example.org\n      jwksUri: https://x.example/k\n      bundleFile: /b.json\n      audience: a',
        ),
      },
      /^auth\.issuers\[1\] \| .*exactly one of jwksUri and bundleFile/,
    ],
    [
      'neither a JWKS URL nor a bundle file',
      { spiffe: spiffeIssuer('      trustDomain: example.org\n      audience: a') },
      /^auth\.issuers\[1\] \| .*exactly one/,
    ],
    [
      'a trust domain with a scheme',
      {
        spiffe: spiffeIssuer(
          '      trustDomain: spiffe://example.org\n      jwksUri: https://x.example/k\n      audience: a',
        ),
      },
      /^auth\.issuers\[1\]\.trustDomain \| /,
    ],
    [
      'an issuer field a SPIFFE issuer does not take',
      {
        spiffe: spiffeIssuer(
          '      trustDomain: example.org\n      jwksUri: https://x.example/k\n      audience: a\n      groupsClaim: g',
        ),
      },
      /^auth\.issuers\[1\]\.groupsClaim \| .*unknown field/,
    ],
    [
      'an unknown kind',
      { spiffe: '    - name: x\n      kind: saml\n      audience: a' },
      /^auth\.issuers\[1\]\.kind \| /,
    ],
    [
      'an OpenID issuer named spiffe',
      {
        spiffe:
          '    - name: spiffe\n      issuer: https://e.example\n      jwksUri: https://e.example/k\n      audience: a',
        owners: '  {}',
      },
      /^auth\.issuers\[1\]\.name \| .*reserved/,
    ],
    [
      'an issuer named local',
      {
        spiffe: spiffeIssuer(
          '      trustDomain: example.org\n      jwksUri: https://x.example/k\n      audience: a',
        ).replace('workloads', 'local'),
      },
      /^auth\.issuers\[1\]\.name \| .*reserved/,
    ],
    [
      'a trust domain configured twice',
      {
        spiffe: `${spiffeIssuer('      trustDomain: example.org\n      jwksUri: https://x.example/k\n      audience: a')}\n${spiffeIssuer('      trustDomain: example.org\n      bundleFile: /b.json\n      audience: a').replace('workloads', 'spire')}`,
      },
      /^auth\.issuers\[2\]\.trustDomain \| .*twice/,
    ],
    [
      'a workload of an unconfigured trust domain',
      { owners: '  "spiffe:spiffe://other.org/w": "corp:alice"' },
      /^owners\["spiffe:spiffe:\/\/other\.org\/w"\] \| .*trust domain "other\.org"/,
    ],
    [
      'a malformed SPIFFE ID',
      { owners: '  "spiffe:spiffe://example.org/a/../b": "corp:alice"' },
      /not a valid SPIFFE ID/,
    ],
    [
      'a principal id naming the SPIFFE issuer instead of spiffe:',
      { owners: '  "workloads:spiffe://example.org/w": "corp:alice"' },
      /no configured issuer is named "workloads"/,
    ],
    [
      'a malformed service account name',
      { owners: '  "corp:bot": "local:Bad_Name"' },
      /^owners\["corp:bot"\] \| .*local:Bad_Name: not a valid service account name/,
    ],
    [
      'a service account’s owner in config',
      { owners: '  "local:ci": "corp:alice"' },
      /^owners\["local:ci"\] \| .*set when it is created/,
    ],
    [
      'an ownership cycle, named',
      {
        owners:
          '  "corp:a": "corp:b"\n  "corp:b": "spiffe:spiffe://example.org/w"\n  "spiffe:spiffe://example.org/w": "corp:a"',
      },
      /^owners \| .*ownership cycle: corp:a -> corp:b -> spiffe:spiffe:\/\/example\.org\/w -> corp:a$/,
    ],
    [
      'a person listed as an approver bot',
      { policy: '  approverBots: ["corp:alice"]' },
      /^policy\.approverBots\[0\] \| .*corp:alice is a person/,
    ],
  ])('refuses %s', (_case, options, expected) => {
    expect(fieldOf(yaml(options))).toMatch(expected);
  });

  it('refuses web sign-in through a SPIFFE issuer', () => {
    const text = yaml().replace(
      'auth:\n',
      'auth:\n  web: { issuer: workloads, clientId: countersign }\n',
    );
    expect(fieldOf(text)).toMatch(/^auth\.web\.issuer \| .*no configured OpenID issuer/);
  });
});
