export * from './activate.js';
export * from './alerts.js';
export * from './escalate.js';
export * from './review.js';
export * from './review-opener.js';
