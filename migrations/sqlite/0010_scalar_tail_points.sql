-- 0010_scalar_tail_points.sql -- a series' newest points wait as rows of one small table, not as blocks.
--
-- Since 0008 a one-point append was a small block row of its own; but a block row also carries an index
-- entry and a summary row at each of the five levels of 0009, so an append wrote a dozen b-tree rows and
-- touched three or four pages per series at each commit. Now a write of a few points after a series' last
-- step inserts one row per point here, (series, step) -> wall time and value as two little-endian float64s
-- (NaN survives, as in the blocks); series.tail_points counts them. They are folded with the series' open
-- block into full blocks when 256 have gathered, before any write at or before the last step, when the
-- writer is idle and when the store closes. Readers append them after the blocks: every tail step comes
-- after every block's. Tail blocks left by 0008 (series.tail_blocks) are folded the same way.
CREATE TABLE scalar_tail (
    series_id INTEGER NOT NULL REFERENCES series(id),
    step      INTEGER NOT NULL,
    point     BLOB NOT NULL,
    PRIMARY KEY (series_id, step)
) WITHOUT ROWID;
ALTER TABLE series ADD COLUMN tail_points INTEGER NOT NULL DEFAULT 0;
