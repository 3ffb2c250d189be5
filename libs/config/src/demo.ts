/**
 * The built-in demo config, used without a config file (docs/api.md §3). Kept as a string in a
 * .ts file so the build copies no assets. `${PUBLIC_URL}` is filled in with the resolved public
 * URL; the demo issuer and its users are served by the broker itself, only in demo mode.
 */
const DEMO_CONFIG = `# countersign demo config: try the whole flow with no identity provider. Not for production.
separation: strict
auth:
  issuers:
    - name: demo
      issuer: \${PUBLIC_URL}/demo
      jwksUri: \${PUBLIC_URL}/demo/jwks.json
      audience: countersign
      groupsClaim: groups
demoUsers:
  - name: alice
    sub: alice
    groups: [engineering]
    description: engineer who requests access
  - name: bob
    sub: bob
    groups: [sre-leads]
    description: approver
  - name: carol
    sub: carol
    groups: []
    description: named approver (listed by principal id, in no group)
  - name: dave
    sub: dave
    groups: [security, sre-leads]
    description: security team admin; his approval needs a second, non-admin approver
  - name: mallory
    sub: mallory
    groups: []
    description: outsider who can see nothing
owners:
  "demo:svc-deployer": "demo:alice"   # alice's bot: alice may request for it, never approve for it
policy:
  admins: { groups: [security] }
  roles:
    - name: prod-db-admin
      resource: postgres://prod/payments
      actions: [db:read, db:write]
      maxDuration: 1h
      defaultDuration: 15m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads], principals: ["demo:carol"] }
      approvalsRequired: 1
      requireJustification: true
      # POST /v1/break-glass: at once, 10 minutes at most, reviewed afterwards (docs/break-glass.md)
      breakGlass: { maxDuration: 10m, reviewWithin: 1h }
    - name: payments-deploy
      resource: https://deploy.example.com/payments
      actions: [deploy:create]
      maxDuration: 30m
      defaultDuration: 10m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads], principals: ["demo:carol"] }
      approvalsRequired: 2
      requireJustification: true
`;

export function demoConfigYaml(): string {
  return DEMO_CONFIG;
}
