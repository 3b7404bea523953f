/* store_sqlite_checkpoint.c -- copying the WAL into the database on a thread of its own, so that no
 * commit waits for it.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages, on the writer
 * thread: it copies the pages into the database file and syncs both files, a few milliseconds during
 * which every write queued behind that commit waits (at 20,000 one-point writes a second, the slowest
 * hundredth of the answers waited 3 ms instead of 0.5). Here a WAL hook on the writer's connection
 * replaces it: past SQ_CHECKPOINT_PAGES the hook only wakes the checkpointer, which runs a PASSIVE
 * checkpoint from a connection of its own. PASSIVE takes no lock a writer or reader needs, so the writer
 * goes on committing meanwhile; SQLite starts the WAL over from its beginning at the first write after a
 * checkpoint that caught up with it.
 *
 * A checkpoint that never catches up (writes that never pause) would let the WAL grow without end; so
 * past SQ_FORCE_CHECKPOINT_PAGES the hook checkpoints in the writer's own COMMIT, as SQLite would have: no
 * write can come meanwhile, so it catches up (unless a reader still reads an older snapshot, as with
 * SQLite's own). It first waits for a checkpoint of the thread's that is under way, which would make its
 * own give up at once (SQLite runs one checkpoint at a time). The idle checkpoint (store_sqlite.c) still
 * truncates the file once writes pause. */
#include "vizd/store_sqlite.h"

#include <stdlib.h>

struct sq_checkpointer {
    sqlite3 *db;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* any of the three flags below */
    bool is_due, is_running, is_stopping;
    /* The writer thread's own: the WAL's size that calls for the next checkpoint (a checkpoint that did
     * not catch up leaves the WAL as long as it was); a WAL shorter than the last call started over. */
    int next_pages;
};

/* A PASSIVE checkpoint of db, one at a time: it first waits for one under way (the thread's or the
 * writer's), which would make it give up at once. SQLITE_BUSY (the idle checkpoint under way) leaves
 * the pages for the next one. */
static void checkpoint_alone(sq_checkpointer *c, sqlite3 *db, const char *schema)
{
    pthread_mutex_lock(&c->lock);
    while (c->is_running) pthread_cond_wait(&c->changed, &c->lock);
    c->is_running = true;
    pthread_mutex_unlock(&c->lock);
    sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    pthread_mutex_lock(&c->lock);
    c->is_running = false;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

static void *checkpointer_main(void *arg)
{
    sq_checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->is_stopping && !c->is_due) pthread_cond_wait(&c->changed, &c->lock);
        if (c->is_stopping) break;
        c->is_due = false;
        pthread_mutex_unlock(&c->lock);
        checkpoint_alone(c, c->db, NULL);
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/* On the writer thread, after each commit, with the pages now in the WAL. */
static int on_wal_commit(void *arg, sqlite3 *writer_db, const char *schema, int pages)
{
    sq_checkpointer *c = arg;
    if (pages >= SQ_FORCE_CHECKPOINT_PAGES) {
        checkpoint_alone(c, writer_db, schema);
        return SQLITE_OK;
    }
    if (pages < c->next_pages - SQ_CHECKPOINT_PAGES) c->next_pages = SQ_CHECKPOINT_PAGES; /* started over */
    if (pages < c->next_pages) return SQLITE_OK;
    c->next_pages = pages + SQ_CHECKPOINT_PAGES;
    pthread_mutex_lock(&c->lock);
    c->is_due = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    return SQLITE_OK;
}

int sq_checkpointer_start(sqlite_store *s, vz_error *err)
{
    sq_checkpointer *c = calloc(1, sizeof *c);
    if (!c) return vz_out_of_memory(err, "opening the store");
    /* A connection checkpoints only once it has seen the file is in WAL mode: reading the schema does it. */
    if (sq_open_connection(s->path, SQLITE_OPEN_READWRITE, &c->db, err) < 0 ||
        sq_exec(c->db, "SELECT count(*) FROM sqlite_schema", "opening the checkpoint connection", err) < 0) {
        sqlite3_close(c->db);
        free(c);
        return -1;
    }
    c->next_pages = SQ_CHECKPOINT_PAGES;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->changed, NULL);
    if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
        sqlite3_close(c->db);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->changed);
        free(c);
        return vz_fail(err, 500, "internal", "", "cannot start the checkpoint thread");
    }
    sqlite3_wal_hook(s->writer_db, on_wal_commit, c);
    s->checkpointer = c;
    return 0;
}

void sq_checkpointer_stop(sqlite_store *s)
{
    sq_checkpointer *c = s->checkpointer;
    if (!c) return;
    sqlite3_wal_hook(s->writer_db, NULL, NULL); /* close's own final checkpoint needs no help */
    pthread_mutex_lock(&c->lock);
    c->is_stopping = true;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close(c->db);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->changed);
    free(c);
    s->checkpointer = NULL;
}
