export * from './notify.providers.js';
export * from './slack-api.js';
export * from './slack-interactions.js';
export * from './slack-message.js';
export * from './slack-notifier.js';
export * from './slack-signature.js';
export * from './slack-text.js';
export * from './break-glass-alerts.js';
