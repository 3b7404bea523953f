-- 0001_init.sql -- the PostgreSQL schema: what the SQLite migrations 0001 - 0009 build, for many vizd
-- processes (replicas) writing one database at once (docs/ARCHITECTURE.md, "PostgreSQL").
--
-- Differences from the SQLite schema, and why:
-- - A scalar point is a row of scalar_points, keyed by (series_id, step). Concurrent writers to one series
--   then need no read-merge-write of a shared block: an overwrite of a step is INSERT ... ON CONFLICT DO
--   UPDATE, and the only shared row is the series', which a writer locks (SELECT ... FOR UPDATE) to assign
--   "last step + 1" exactly. double precision keeps NaN, the infinities and -0 as they are, so values need
--   no packing. A row costs about 60 bytes with its index entry, against 24 in a SQLite block.
-- - Histogram stats and buckets stay packed in bytea, as in SQLite (the same encoder writes both).
-- - A blob is keyed by its name, the SHA-256 (hex) of its content type, a NUL and its bytes: the name in
--   its URL, the same in every database. Items refer to it by that name.
-- - Rows below a run go with it (ON DELETE CASCADE), so deleting a run is one statement that any replica
--   can run while others write: a writer that locked the run's row first finishes, and a writer that
--   comes later creates the run anew, as a write after a delete does with SQLite.

CREATE TABLE runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    hparams     text NOT NULL DEFAULT '{}',
    created_at  double precision NOT NULL,
    updated_at  double precision NOT NULL
);

CREATE TABLE series (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    kind           text NOT NULL,
    tag            text NOT NULL,
    count          bigint NOT NULL DEFAULT 0,
    first_step     bigint,
    last_step      bigint,
    last_value     double precision,
    last_wall_time double precision,
    UNIQUE (run_id, kind, tag)
);

CREATE TABLE scalar_points (
    series_id bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    step      bigint NOT NULL,
    wall_time double precision NOT NULL,
    value     double precision NOT NULL,
    PRIMARY KEY (series_id, step)
);

CREATE TABLE histogram_steps (
    series_id    bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    step         bigint NOT NULL,
    wall_time    double precision NOT NULL,
    stats        bytea NOT NULL,
    bucket_count integer NOT NULL,
    nan_count    bigint NOT NULL DEFAULT 0,
    buckets      bytea NOT NULL,
    PRIMARY KEY (series_id, step)
);

CREATE TABLE graphs (
    run_id     bigint PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
    graph      text NOT NULL,
    updated_at double precision NOT NULL
);

-- A blob no item refers to any more is removed by the writer of the change that left it so, in its own
-- statement that gives way when another replica has just referred to it again (the foreign keys below
-- make that a conflict instead of a dangling reference).
CREATE TABLE blobs (
    sha256       text PRIMARY KEY,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    bytes        bytea NOT NULL
);

CREATE TABLE images (
    series_id bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    step      bigint NOT NULL,
    idx       bigint NOT NULL,
    wall_time double precision NOT NULL,
    blob      text NOT NULL REFERENCES blobs(sha256),
    width     bigint NOT NULL,
    height    bigint NOT NULL,
    PRIMARY KEY (series_id, step, idx)
);
CREATE INDEX images_by_blob ON images(blob);

CREATE TABLE tensors (
    series_id bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    step      bigint NOT NULL,
    idx       bigint NOT NULL,
    wall_time double precision NOT NULL,
    blob      text NOT NULL REFERENCES blobs(sha256),
    shape     text NOT NULL,  -- JSON array
    dtype     text NOT NULL,
    min_value double precision, -- of the finite values; NULL when there are none
    max_value double precision,
    display   text NOT NULL DEFAULT '{}',
    PRIMARY KEY (series_id, step, idx)
);
CREATE INDEX tensors_by_blob ON tensors(blob);

CREATE TABLE texts (
    series_id bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    step      bigint NOT NULL,
    idx       bigint NOT NULL,
    wall_time double precision NOT NULL,
    text      text NOT NULL,
    PRIMARY KEY (series_id, step, idx)
);

-- How far `vizd --logdir` has read each event file it follows (as SQLite's 0007_followed_files.sql).
CREATE TABLE followed_files (
    path      text PRIMARY KEY,
    inode     bigint NOT NULL,
    first_crc bigint NOT NULL,
    "offset"  bigint NOT NULL
);
