export const REVOCATION_SCHEDULER = 'countersign:revocation-scheduler';
export const CREDENTIAL_PROVIDERS = 'countersign:credential-providers';
export const SWEEP_OPTIONS = 'countersign:sweep-options';
