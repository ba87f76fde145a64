export { LocalDemuxSink, LocalRunFolder } from './local.run-folder.js';
