-- 0008_scalar_tail.sql -- cheap appends: a series' newest points wait in small blocks of their own.
--
-- Appending one point used to rewrite the series' open block (up to 1,024 points, 24 KB). Now a write of
-- a few points after a series' last step is inserted as a small block row of its own (a "tail block"),
-- and tail_blocks counts those rows, which are always the series' last ones. When 64 of them have
-- accumulated, when a write lands on a step at or before the last one, or when the writer is idle, they
-- are folded with the open block into full blocks again. Tail blocks are ordinary scalar_blocks rows, so
-- readers see their points without knowing about them. (No index on tail_blocks: keeping one up to date
-- cost a page written per commit, and only the idle fold looks for series with a tail.)
ALTER TABLE series ADD COLUMN tail_blocks INTEGER NOT NULL DEFAULT 0;
