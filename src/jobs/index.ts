export { demuxJob, failureSummary, type DemuxJobDeps } from './demux.job.js';
export { indexFileJob } from './index-file.job.js';
export { appRunJob, type AppRunJobDeps } from './app-run.job.js';
export { genomeIndexJob, type GenomeIndexJobDeps } from './genome-index.job.js';
