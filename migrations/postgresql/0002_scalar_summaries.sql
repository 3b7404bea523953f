-- 0002_scalar_summaries.sql -- M4 summaries of scalar points, so a reduced query reads a few rows per
-- output bucket instead of every point (docs/ARCHITECTURE.md, "PostgreSQL"; SQLite's 0009 does the same
-- for its blocks).
--
-- An entry of level 0 sums up a chunk of about 8 consecutive points of a series, an entry of level k >= 1
-- about 8 entries of level k - 1 (include/vizd/store_pg_pyramid.h). Where entries start depends only on
-- the steps that exist (a hash of the step), so a write changes only the entries holding its steps.
-- anchor is an entry's key: the step that starts it, or -2^63 for the points before the series' first
-- boundary. first_step and last_step are its first and last point's; picks packs the first, minimum,
-- maximum and last point and the minimum's and maximum's offsets as block.c's picks_encode does
-- (little-endian: NaN, the infinities and -0 survive). The writer keeps them exact in the transaction
-- that writes the points (server/store_pg.c).
--
-- The last entry of each level (the head, which every appended point changes) is not a row here but part
-- of series.summary_heads, in the series row that every write of the series updates anyway: appending a
-- point rewrites one row, not one per level. NULL there means the series' summaries are not built yet:
-- every scalar series written before this migration. The store builds them when it opens
-- (build_pending_summaries); until then readers of such a series read every point.
CREATE TABLE scalar_summaries (
    series_id  bigint NOT NULL REFERENCES series(id) ON DELETE CASCADE,
    level      smallint NOT NULL,
    anchor     bigint NOT NULL,
    first_step bigint NOT NULL,
    last_step  bigint NOT NULL,
    count      bigint NOT NULL,
    picks      bytea NOT NULL,
    PRIMARY KEY (series_id, level, anchor)
);

ALTER TABLE series ADD COLUMN summary_heads bytea;
ALTER TABLE series ALTER COLUMN summary_heads SET DEFAULT '\x';
