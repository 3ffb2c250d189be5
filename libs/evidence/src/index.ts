export * from './approval-signature.js';
export * from './approval-statement.js';
export * from './bundle.js';
export * from './canonical.js';
export * from './receipt.js';
export * from './request-facts.js';
export * from './verify.js';
export * from './log-verify.js';
