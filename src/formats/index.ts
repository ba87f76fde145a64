export * from './format-error.js';
export * from './runinfo.js';
export * from './runparameters.js';
export * from './interop/index.js';
export * from './samplesheet.js';
