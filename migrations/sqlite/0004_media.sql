-- 0004_media.sql -- images, tensors and texts, and the blobs that hold image and tensor bytes.
--
-- Identical bytes are stored once: a blob is found by a 64-bit hash of its bytes and then compared byte
-- for byte. Blob ids are never reused (AUTOINCREMENT), so the bytes behind an id never change and the
-- id can serve as a strong ETag. A blob no item refers to any more is deleted with the run that held it.
CREATE TABLE blobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    hash         INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    bytes        BLOB NOT NULL
);
CREATE INDEX blobs_by_hash ON blobs(hash);

CREATE TABLE images (
    series_id INTEGER NOT NULL REFERENCES series(id),
    step      INTEGER NOT NULL,
    idx       INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    blob_id   INTEGER NOT NULL REFERENCES blobs(id),
    width     INTEGER NOT NULL,
    height    INTEGER NOT NULL,
    PRIMARY KEY (series_id, step, idx)
) WITHOUT ROWID;

CREATE TABLE tensors (
    series_id INTEGER NOT NULL REFERENCES series(id),
    step      INTEGER NOT NULL,
    idx       INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    blob_id   INTEGER NOT NULL REFERENCES blobs(id),
    shape     TEXT NOT NULL,  -- JSON array
    dtype     TEXT NOT NULL,
    min_value REAL,           -- of the finite values; NULL when there are none
    max_value REAL,
    display   TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (series_id, step, idx)
) WITHOUT ROWID;

CREATE TABLE texts (
    series_id INTEGER NOT NULL REFERENCES series(id),
    step      INTEGER NOT NULL,
    idx       INTEGER NOT NULL,
    wall_time REAL NOT NULL,
    text      TEXT NOT NULL,
    PRIMARY KEY (series_id, step, idx)
) WITHOUT ROWID;
