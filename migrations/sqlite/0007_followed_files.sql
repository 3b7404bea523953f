-- 0007_followed_files.sql -- how far `vizd --logdir` has read each event file it follows.
--
-- A row is written in the same transaction as the data the file's records up to offset produced, so a
-- restart (or a SIGKILL) resumes exactly there: nothing imported twice, nothing skipped. inode tells a
-- file replaced under the same name, first_crc (the stored CRC of the file's first record, which holds
-- the writer's start time) one truncated and written again in place: either is re-read from the start.
-- Rows of deleted files stay, as their data does.
CREATE TABLE followed_files (
    path TEXT PRIMARY KEY,
    inode INTEGER NOT NULL,
    first_crc INTEGER NOT NULL,
    offset INTEGER NOT NULL
) WITHOUT ROWID;
