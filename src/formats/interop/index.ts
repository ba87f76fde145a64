export * from './reader.js';
export * from './tile-metrics.js';
export * from './quality-metrics.js';
export * from './cycle-metrics.js';
export * from './index-metrics.js';
export * from './summary.js';
