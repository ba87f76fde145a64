export { LocalBlobStore } from './local.blob-store.js';
export { S3BlobStore, type S3Settings } from './s3.blob-store.js';
