export * from './audit-event.js';
export * from './audit-log.js';
export * from './log/note.js';
export * from './log/checkpoint.js';
