export { demuxJob, failureSummary, type DemuxJobDeps } from './demux.job.js';
