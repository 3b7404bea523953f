-- 0001_init.sql -- runs, series (one per run, kind and tag) and scalar blocks.
--
-- A scalar series is stored as blocks of up to 1024 points: one row per block with its step range and
-- summary in columns, and the points packed in a BLOB (int64 steps, then float64 wall times, then
-- float64 values, little-endian), so NaN and the infinities survive exactly and ingest writes about one
-- row per thousand points. The summary columns hold NULL where the value is not finite.

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    hparams     TEXT NOT NULL DEFAULT '{}',
    created_at  REAL NOT NULL,
    updated_at  REAL NOT NULL
);

CREATE TABLE series (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id),
    kind           TEXT NOT NULL,
    tag            TEXT NOT NULL,
    count          INTEGER NOT NULL DEFAULT 0,
    first_step     INTEGER,
    last_step      INTEGER,
    last_value     BLOB,   -- float64 little-endian, so NaN survives
    last_wall_time REAL,
    UNIQUE (run_id, kind, tag)
);

CREATE TABLE scalar_blocks (
    series_id   INTEGER NOT NULL REFERENCES series(id),
    first_step  INTEGER NOT NULL,
    last_step   INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    min_value   REAL,
    max_value   REAL,
    first_value REAL,
    last_value  REAL,
    points      BLOB NOT NULL,
    PRIMARY KEY (series_id, first_step)
) WITHOUT ROWID;
