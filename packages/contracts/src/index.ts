export * from './errors.js';
export * from './documents.js';
