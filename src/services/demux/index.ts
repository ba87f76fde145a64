export * from './demux.engine.js';
export type { RunTiles, RawTile } from './tile-loader.js';
export { TileLoader } from './tile-loader.js';
export {
  processTile,
  type TileResult,
  type TileSettings,
  type ReadNameContext,
} from './tile-processor.js';
export { DEMUX_WORKERS } from './tile-pool.js';
