export * from './approval-signatures.js';
export * from './passkey-holder.js';
export * from './passkey-registration.js';
export * from './passkey-view.js';
export * from './passkeys.js';
