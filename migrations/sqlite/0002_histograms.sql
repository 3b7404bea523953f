-- 0002_histograms.sql -- one row per (histogram series, step).
--
-- stats packs min, max, num, sum and sum_squares as five little-endian float64 (a sum may be NaN, which
-- a REAL column would turn into NULL); buckets packs bucket_count right edges, then bucket_count counts,
-- as float64: the shape of TensorBoard's HistogramProto.
CREATE TABLE histogram_steps (
    series_id    INTEGER NOT NULL REFERENCES series(id),
    step         INTEGER NOT NULL,
    wall_time    REAL NOT NULL,
    stats        BLOB NOT NULL,
    bucket_count INTEGER NOT NULL,
    nan_count    INTEGER NOT NULL DEFAULT 0,
    buckets      BLOB NOT NULL,
    PRIMARY KEY (series_id, step)
) WITHOUT ROWID;
