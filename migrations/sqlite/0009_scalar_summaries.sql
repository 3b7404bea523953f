-- 0009_scalar_summaries.sql -- M4 summaries of scalar blocks and of groups of blocks, so a reduced query
-- reads a few rows per output bucket instead of every point (docs/ARCHITECTURE.md, "Scalar reads and
-- M4"); and scalar_blocks as a rowid table, so that finding one block is cheap.
--
-- In a WITHOUT ROWID table the whole row is the b-tree key, and SQLite compares a key that spills onto
-- overflow pages only after copying all of it: every seek to a block (24 KB) copied a dozen blocks on its
-- way down. A reduced query now seeks to one block per output bucket; with the points in a rowid table
-- and (series_id, first_step) in a small index, a seek touches only the index and the one row it finds.
CREATE TABLE scalar_blocks_by_rowid (
    id          INTEGER PRIMARY KEY,
    series_id   INTEGER NOT NULL REFERENCES series(id),
    first_step  INTEGER NOT NULL,
    last_step   INTEGER NOT NULL,
    count       INTEGER NOT NULL,
    min_value   REAL,
    max_value   REAL,
    first_value REAL,
    last_value  REAL,
    points      BLOB NOT NULL
);
INSERT INTO scalar_blocks_by_rowid(series_id, first_step, last_step, count, min_value, max_value, first_value,
                                   last_value, points)
    SELECT series_id, first_step, last_step, count, min_value, max_value, first_value, last_value, points
    FROM scalar_blocks ORDER BY series_id, first_step;
DROP TABLE scalar_blocks;
ALTER TABLE scalar_blocks_by_rowid RENAME TO scalar_blocks;
CREATE UNIQUE INDEX scalar_blocks_by_step ON scalar_blocks(series_id, first_step);

-- Level 0 holds one row per row of scalar_blocks, with the same first_step. A row of level k >= 1 sums up
-- consecutive rows of level k - 1: a new one starts at the series' first block and at every block whose
-- first step hashes to a level-k boundary (about one in 8 of level k - 1), so the grouping depends only on
-- which blocks exist and a change stays local. picks packs the first, minimum, maximum and last point
-- (int64 step, float64 wall time, float64 value each) and the offsets of the minimum and maximum from the
-- first point (int64), little-endian: NaN survives, as in the blocks.
CREATE TABLE scalar_summaries (
    series_id  INTEGER NOT NULL REFERENCES series(id),
    level      INTEGER NOT NULL,
    first_step INTEGER NOT NULL,
    last_step  INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    picks      BLOB NOT NULL,
    PRIMARY KEY (series_id, level, first_step)
) WITHOUT ROWID;

-- The series whose summaries are still to be built: every scalar series written before this migration.
-- The store builds them when it opens (SQLite cannot unpack a block's points) and empties this table.
CREATE TABLE scalar_summaries_pending (
    series_id INTEGER PRIMARY KEY REFERENCES series(id)
);
INSERT INTO scalar_summaries_pending SELECT id FROM series WHERE kind = 'scalars';
