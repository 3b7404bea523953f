-- 0003_graphs.sql -- one model graph per run (docs/ARCHITECTURE.md, "Model graphs"), kept as the JSON it was posted
-- as (validated, re-serialised compactly); a new graph for the run replaces the old one.
CREATE TABLE graphs (
    run_id     INTEGER PRIMARY KEY REFERENCES runs(id),
    graph      TEXT NOT NULL,
    updated_at REAL NOT NULL
);
