-- 0011_series_updated_at.sql -- a write of scalar points leaves the run's row alone.
--
-- Every write set runs.updated_at, so a one-point write changed three b-tree pages (the run, the series,
-- the tail) and its commit wrote three WAL frames; the run's page was a third of the commit. A write
-- that only adds scalar points now stamps the series rows it updates anyway, and a run's updated_at, as
-- the runs list gives it, is the latest of runs.updated_at and its series' updated_at. Every other write
-- (histograms, media, a graph, a description, hparams) still sets runs.updated_at. NULL here: the series
-- has had no such write since this migration, and runs.updated_at already counts its earlier ones.
ALTER TABLE series ADD COLUMN updated_at REAL;
