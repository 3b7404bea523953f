-- 0006_blob_names.sql -- name each blob by what it holds, not by its row id.
--
-- A blob's URL is cached by browsers for a year as immutable, but row ids start at 1 again in every new
-- database: the same URL on the same host and port would name other bytes. sha256 holds the SHA-256 (hex)
-- of the blob's content type, a NUL byte and its bytes; the URL uses it, so a URL names the same bytes in
-- any database. It also finds identical blobs on write. Rows written before this migration are filled in
-- when the store opens (SQLite has no SHA-256 of its own).
ALTER TABLE blobs ADD COLUMN sha256 TEXT;
CREATE UNIQUE INDEX blobs_by_sha256 ON blobs(sha256);
-- The 64-bit hash only found candidates to compare byte for byte; the SHA-256 replaces that search.
DROP INDEX blobs_by_hash;
