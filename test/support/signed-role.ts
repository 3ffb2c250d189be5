/**
 * A role whose approvals are signed with the approver's passkey, for startWebBroker's `extraYaml`
 * (appended to the test config's roles).
 */
export const SIGNED_ROLE_YAML = `
    - name: signed-deploy
      resource: https://signed.example.com
      actions: [deploy:create]
      maxDuration: 30m
      requesters: { groups: [engineering] }
      approvers: { groups: [sre-leads], principals: ["corp:carol"] }
      approvals: { signature: passkey }
`;
