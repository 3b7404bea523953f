/* test_store_writer.c -- the writer's failure paths and the references between tables: a refused request
 * inside a group commit is undone alone, and deleting a run leaves nothing behind with foreign keys on. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>

#include "helpers.h"

static size_t point_count(vz_store *store, const char *run, const char *tag)
{
    vz_points pts;
    vz_error err;
    if (store_read_scalars(store, run, tag, INT64_MIN, INT64_MAX, &pts, &err) < 0) return 0;
    size_t n = pts.count;
    store_points_free(&pts);
    return n;
}

typedef struct {
    size_t count;
    char description[4][16];
} run_descriptions;

static int note_run(void *ctx, const store_run_row *run, vz_error *err)
{
    (void)err;
    run_descriptions *runs = ctx;
    cr_assert_lt(runs->count, 4);
    snprintf(runs->description[runs->count++], sizeof runs->description[0], "%s", run->description);
    return 0;
}

Test(group_commit, a_refused_request_between_two_valid_ones_is_undone_alone)
{
    vz_store *store = open_temp_store(NULL);
    /* B will ask for "the next step" of a tag whose last step is INT64_MAX: refused by the store itself,
     * inside the group, after its run row was already written in its SAVEPOINT. */
    vz_scalar_item full;
    fill_item(&full, "full", 1, INT64_MAX, 1, NULL);
    write_one(store, "b", &full);

    vz_scalar_item a_item, b_items[2], c_item;
    fill_item(&a_item, "loss", 3000, 0, 1, NULL);
    fill_item(&b_items[0], "fresh", 5, 0, 1, NULL);
    fill_item(&b_items[1], "full", 1, 0, 1, NULL);
    b_items[1].needs_step = calloc(1, 1);
    b_items[1].needs_step[0] = 1;
    fill_item(&c_item, "acc", 10, 0, 1, NULL);
    vz_write a = {.run = "a", .scalars = &a_item, .scalar_count = 1};
    vz_write b = {.run = "b", .description = "changed", .scalars = b_items, .scalar_count = 2};
    vz_write c = {.run = "c", .scalars = &c_item, .scalar_count = 1};
    vz_write *writes[] = {&a, &b, &c};
    int rcs[3];
    vz_error errs[3];
    cr_assert_eq(store_write_group(store, writes, 3, rcs, errs), -1);

    cr_assert_eq(rcs[0], 0, "A: %s", errs[0].message);
    cr_assert_eq(rcs[1], -1);
    cr_assert_eq(errs[1].status, 400);
    cr_assert_str_eq(errs[1].path, "scalars[1].step");
    cr_assert_eq(rcs[2], 0, "C: %s", errs[2].message);
    cr_assert_eq(point_count(store, "a", "loss"), 3000);
    cr_assert_eq(point_count(store, "c", "acc"), 10);
    cr_assert_eq(point_count(store, "b", "fresh"), 0, "B's first item must be undone with the rest of B");
    cr_assert_eq(point_count(store, "b", "full"), 1);

    run_descriptions runs = {0};
    vz_error err;
    cr_assert_eq(store_list_runs(store, note_run, &runs, &err), 0);
    cr_assert_eq(runs.count, 3);
    cr_assert_str_eq(runs.description[1], "");
    free_item(&a_item);
    free_item(&b_items[0]);
    free_item(&b_items[1]);
    free_item(&c_item);
    store_close(store);
}

Test(group_commit, every_request_of_a_group_gets_its_own_answer_when_all_are_valid)
{
    vz_store *store = open_temp_store(NULL);
    enum { N = 40 };
    vz_scalar_item items[N];
    vz_write writes[N], *pointers[N];
    char runs[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(runs[i], sizeof runs[i], "run%d", i);
        fill_item(&items[i], "t", (size_t)i + 1, 0, 1, NULL);
        writes[i] = (vz_write){.run = runs[i], .scalars = &items[i], .scalar_count = 1};
        pointers[i] = &writes[i];
    }
    int rcs[N];
    vz_error errs[N];
    cr_assert_eq(store_write_group(store, pointers, N, rcs, errs), 0);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(rcs[i], 0);
        cr_assert_eq(point_count(store, runs[i], "t"), (size_t)i + 1);
        free_item(&items[i]);
    }
    store_close(store);
}

static unsigned char png_bytes[] = {0x89, 'P', 'N', 'G', 1, 2, 3, 4};

Test(foreign_keys, deleting_a_run_removes_every_row_that_refers_to_it)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    vz_scalar_item scalars;
    fill_item(&scalars, "loss", 2500, 0, 1, NULL);
    double limits[2] = {0, 1}, counts[2] = {1, 2};
    vz_histogram_item histogram = {.tag = "w", .step = 1, .histogram = {0, 1, 3, 2, 2, 2, limits, counts, 0}};
    vz_media_item media[3] = {
        {.kind = VZ_MEDIA_IMAGE, .tag = "img", .bytes = png_bytes, .size = sizeof png_bytes,
         .content_type = "image/png", .width = 1, .height = 1},
        {.kind = VZ_MEDIA_TENSOR, .tag = "ten", .bytes = png_bytes, .size = 8, .content_type = "application/octet-stream",
         .shape_json = "[1]", .dtype = "float64", .display_json = "{}"},
        {.kind = VZ_MEDIA_TEXT, .tag = "txt", .text = "hello"},
    };
    vz_write w = {.run = "doomed", .scalars = &scalars, .scalar_count = 1, .histograms = &histogram,
                  .histogram_count = 1, .media = media, .media_count = 3, .graph_json = "{\"nodes\":[]}"};
    vz_error err;
    cr_assert_eq(store_write(store, &w, &err), 0, "%s", err.message);
    vz_scalar_item kept;
    fill_item(&kept, "loss", 10, 0, 1, NULL);
    write_one(store, "kept", &kept);
    cr_assert_eq(store_delete_run(store, "doomed", &err), 0, "%s", err.message);
    store_close(store);

    static const char *const tables[] = {"scalar_blocks", "histogram_steps", "images", "tensors", "texts",
                                         "blobs", "graphs"};
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char sql[64];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        cr_assert_eq(db_int(path, sql), i == 0 ? 1 : 0, "%s", tables[i]);
    }
    cr_assert_eq(db_int(path, "SELECT count(*) FROM runs"), 1);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM series"), 1);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    free_item(&scalars);
    free(path);
}

/* ---- blob names ---- */

static int count_images(void *ctx, const store_media_row *row, vz_error *err)
{
    (void)err;
    char **url = ctx;
    cr_assert_null(*url, "one image expected");
    cr_assert(asprintf(url, "/api/v1/blobs/%s", row->blob) > 0);
    return 0;
}

/* The URL the API gives the run's one image (api_media.c: /api/v1/blobs/ and the blob's name). */
static char *first_image_url(vz_store *store)
{
    char *url = NULL;
    vz_error err;
    cr_assert_eq(store_visit_media(store, "r", "img", VZ_MEDIA_IMAGE, count_images, &url, &err), 0, "%s",
                 err.message);
    cr_assert_not_null(url);
    return url;
}

Test(blob_names, blobs_written_before_the_names_existed_are_named_when_the_store_opens)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    vz_media_item image = {.kind = VZ_MEDIA_IMAGE, .tag = "img", .bytes = png_bytes, .size = sizeof png_bytes,
                           .content_type = "image/png", .width = 1, .height = 1};
    vz_write w = {.run = "r", .media = &image, .media_count = 1};
    vz_error err;
    cr_assert_eq(store_write(store, &w, &err), 0, "%s", err.message);
    char *url = first_image_url(store);
    cr_assert_eq(strlen(url), strlen("/api/v1/blobs/") + VZ_BLOB_NAME_BYTES, "%s", url);
    store_close(store);

    /* Make the blob what migration 0006 leaves a blob written before it: no name. (Going back to schema 5
     * itself would make the store apply the later migrations again too.) */
    sqlite3 *db;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "UPDATE blobs SET sha256 = NULL", NULL, NULL, NULL), SQLITE_OK, "%s",
                 sqlite3_errmsg(db));
    sqlite3_close(db);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM blobs WHERE sha256 IS NULL"), 1);

    cr_assert_eq(store_open(&store, path, &err), 0, "%s", err.message);
    char *again = first_image_url(store);
    cr_assert_str_eq(again, url);
    unsigned char *bytes;
    size_t size;
    char type[64];
    cr_assert_eq(store_read_blob(store, url + strlen("/api/v1/blobs/"), &bytes, &size, type, sizeof type, &err), 0);
    cr_assert_eq(size, sizeof png_bytes);
    cr_assert_str_eq(type, "image/png");
    free(bytes);
    /* The same bytes written again find the named blob instead of storing a second copy. */
    image.tag = "img2";
    cr_assert_eq(store_write(store, &w, &err), 0, "%s", err.message);
    store_close(store);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM blobs"), 1);
    cr_assert_eq(db_int(path, "SELECT count(*) FROM blobs WHERE sha256 IS NULL"), 0);
    free(url);
    free(again);
    free(path);
}

/* ---- small writes go first ---- */

typedef struct {
    char runs[4][16];
    int count;
} commit_log;

static void log_commit(void *ctx, const vz_write *write)
{
    commit_log *log = ctx;
    if (log->count < 4) snprintf(log->runs[log->count++], sizeof log->runs[0], "%s", write->run);
}

Test(group_commit, small_writes_queued_behind_a_large_one_are_committed_before_it)
{
    vz_store *store = open_temp_store(NULL);
    commit_log log = {.count = 0};
    store_set_commit_hook(store, log_commit, &log);
    vz_scalar_item big_item, small_items[2];
    fill_item(&big_item, "t", 50000, 0, 1, NULL);
    fill_item(&small_items[0], "t", 1, 0, 1, NULL);
    fill_item(&small_items[1], "t", 1, 0, 1, NULL);
    vz_write big = {.run = "big", .scalars = &big_item, .scalar_count = 1};
    vz_write first = {.run = "small1", .scalars = &small_items[0], .scalar_count = 1};
    vz_write second = {.run = "small2", .scalars = &small_items[1], .scalar_count = 1};
    vz_write *writes[] = {&big, &first, &second};
    int rcs[3];
    vz_error errs[3];
    cr_assert_eq(store_write_group(store, writes, 3, rcs, errs), 0);
    cr_assert_eq(log.count, 3);
    cr_assert_str_eq(log.runs[0], "small1");
    cr_assert_str_eq(log.runs[1], "small2");
    cr_assert_str_eq(log.runs[2], "big");
    cr_assert_eq(point_count(store, "big", "t"), 50000);
    free_item(&big_item);
    free_item(&small_items[0]);
    free_item(&small_items[1]);
    store_close(store);
}

/* ---- asynchronous writes (store_write_async, which POST /api/v1/write uses) ---- */

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int answered, rcs[3], statuses[3];
} async_answers;

typedef struct {
    async_answers *answers;
    int index;
} async_ticket;

static void on_async_done(void *ctx, int rc, const vz_error *err)
{
    async_ticket *ticket = ctx;
    async_answers *a = ticket->answers;
    pthread_mutex_lock(&a->lock);
    a->rcs[ticket->index] = rc;
    a->statuses[ticket->index] = rc < 0 ? err->status : 200;
    a->answered++;
    pthread_cond_signal(&a->changed);
    pthread_mutex_unlock(&a->lock);
}

Test(group_commit, asynchronous_writes_are_answered_by_their_callback_after_their_commit)
{
    char *path;
    vz_store *store = open_temp_store(&path);
    vz_scalar_item full;
    fill_item(&full, "full", 1, INT64_MAX, 1, NULL);
    write_one(store, "b", &full);
    vz_scalar_item items[3];
    fill_item(&items[0], "t", 1, 7, 1, NULL);
    fill_item(&items[1], "full", 1, 0, 1, NULL); /* its next step would overflow: refused */
    items[1].needs_step = calloc(1, 1);
    items[1].needs_step[0] = 1;
    fill_item(&items[2], "t", 3, 0, 1, NULL);
    vz_write writes[3] = {{.run = "a", .scalars = &items[0], .scalar_count = 1},
                          {.run = "b", .scalars = &items[1], .scalar_count = 1},
                          {.run = "c", .scalars = &items[2], .scalar_count = 1}};
    async_answers answers = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
    async_ticket tickets[3];
    vz_error err;
    for (int i = 0; i < 3; i++) {
        tickets[i] = (async_ticket){&answers, i};
        cr_assert_eq(store_write_async(store, &writes[i], on_async_done, &tickets[i], &err), 0, "%s", err.message);
    }
    pthread_mutex_lock(&answers.lock);
    while (answers.answered < 3) pthread_cond_wait(&answers.changed, &answers.lock);
    pthread_mutex_unlock(&answers.lock);
    cr_assert_eq(answers.rcs[0], 0);
    cr_assert_eq(answers.rcs[1], -1);
    cr_assert_eq(answers.statuses[1], 400);
    cr_assert_eq(answers.rcs[2], 0);
    /* Answered means committed: another connection sees the data at once. */
    cr_assert_eq(db_int(path, "SELECT count FROM series WHERE tag = 't' AND run_id = (SELECT id FROM runs WHERE name = 'a')"), 1);
    cr_assert_eq(db_int(path, "SELECT count FROM series WHERE tag = 't' AND run_id = (SELECT id FROM runs WHERE name = 'c')"), 3);
    cr_assert_eq(db_int(path, "SELECT count FROM series WHERE tag = 'full'"), 1);
    for (int i = 0; i < 3; i++) free_item(&items[i]);
    store_close(store);
    free(path);
}
