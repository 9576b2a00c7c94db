export * from './errors.js';
export * from './documents.js';
export * from './auth.js';
export * from './identity.js';
export * from './usage.js';
