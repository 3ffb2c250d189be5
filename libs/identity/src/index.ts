export * from './demo-issuer.js';
export * from './token-verifier.js';
