/**
 * The Cache-Control of every stored file, as the media route sends it and as
 * S3 stores it: a key is random and its bytes never change, so a year.
 */
export const IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable";
