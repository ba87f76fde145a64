export { demuxJob, failureSummary, type DemuxJobDeps } from './demux.job.js';
export { indexFileJob } from './index-file.job.js';
