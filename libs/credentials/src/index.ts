export * from './credential-minter.js';
export * from './credential-verifier.js';
export * from './key-cipher.js';
export * from './signing-keys.js';
export * from './log-keys.js';
