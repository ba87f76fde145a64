export * from './format-error.js';
export * from './gzip.js';
export * from './bcl.js';
export * from './cbcl.js';
export * from './filter.js';
export * from './locs.js';
export * from './fastq.js';
