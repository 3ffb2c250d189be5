export * from './api-key.js';
export * from './authenticated-principal.js';
export * from './demo-issuer.js';
export * from './jwt-svid-bundle.js';
export * from './token-verifier.js';
export * from './workload-verifier.js';
