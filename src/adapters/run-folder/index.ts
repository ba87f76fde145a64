export { LocalDemuxSink, LocalRunFolder } from './local.run-folder.js';
export { LocalStaging } from './local.staging.js';
