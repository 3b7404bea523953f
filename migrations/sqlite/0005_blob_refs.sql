-- 0005_blob_refs.sql -- find the items that use a blob quickly, so a blob left without users (an image
-- or tensor replaced at the same step and index, or a deleted run) can be removed right away.
CREATE INDEX images_by_blob ON images(blob_id);
CREATE INDEX tensors_by_blob ON tensors(blob_id);
