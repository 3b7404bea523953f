/* test_tfevents.c -- event files written by the real torch.utils.tensorboard and tensorboardX writers
 * (tests/fixtures/tfevents/, made by make_events.py) are imported value for value, and damaged files
 * fail naming the byte offset or stop cleanly, never crash. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "vizd/import.h"
#include "vizd/tfevents.h"

#define FIXTURES "tests/fixtures/tfevents/"

static json_t *load_expected(const char *writer)
{
    char path[256];
    snprintf(path, sizeof path, FIXTURES "%s/expected.json", writer);
    json_error_t jerr;
    json_t *root = json_load_file(path, 0, &jerr);
    cr_assert_not_null(root, "%s: %s", path, jerr.text);
    return root;
}

static void check_scalars(vz_store *store, const char *run, json_t *tags)
{
    const char *tag;
    json_t *points;
    json_object_foreach(tags, tag, points) {
        vz_points got;
        vz_error err;
        cr_assert_eq(store_read_scalars(store, run, tag, INT64_MIN, INT64_MAX, &got, &err), 0, "%s", err.message);
        cr_assert_eq(got.count, json_array_size(points), "%s/%s: %zu points", run, tag, got.count);
        for (size_t i = 0; i < got.count; i++) {
            json_t *p = json_array_get(points, i);
            cr_assert_eq(got.points[i].step, json_integer_value(json_array_get(p, 0)));
            double want = json_number_value(json_array_get(p, 1));
            cr_assert(got.points[i].value == want, "%s/%s[%zu]: %.17g != %.17g", run, tag, i, got.points[i].value, want);
        }
        store_points_free(&got);
    }
}

static void check_doubles(const double *got, json_t *want, size_t n, const char *what)
{
    cr_assert_eq(n, json_array_size(want), "%s: %zu values", what, n);
    for (size_t i = 0; i < n; i++)
        cr_assert(got[i] == json_number_value(json_array_get(want, i)), "%s[%zu]: %.17g", what, i, got[i]);
}

static void check_histograms(vz_store *store, const char *run, json_t *tags)
{
    const char *tag;
    json_t *steps;
    json_object_foreach(tags, tag, steps) {
        vz_histogram_steps got;
        vz_error err;
        cr_assert_eq(store_read_histograms(store, run, tag, 0, &got, &err), 0, "%s", err.message);
        cr_assert_eq(got.count, json_array_size(steps));
        for (size_t i = 0; i < got.count; i++) {
            json_t *want = json_array_get(steps, i);
            const vz_histogram *h = &got.steps[i].histogram;
            cr_assert_eq(got.steps[i].step, json_integer_value(json_object_get(want, "step")));
            cr_assert(h->min == json_number_value(json_object_get(want, "min")));
            cr_assert(h->max == json_number_value(json_object_get(want, "max")));
            cr_assert(h->num == json_number_value(json_object_get(want, "num")));
            cr_assert(h->sum == json_number_value(json_object_get(want, "sum")));
            cr_assert(h->sum_squares == json_number_value(json_object_get(want, "sum_squares")));
            check_doubles(h->bucket_limits, json_object_get(want, "bucket_limits"), h->bucket_count, "bucket_limits");
            check_doubles(h->bucket_counts, json_object_get(want, "bucket_counts"), h->bucket_count, "bucket_counts");
        }
        store_histogram_steps_free(&got);
    }
}

/* The stored items as {"step", "text"} or {"step", "width", "height", "content_type"}. */
static int collect_media(void *ctx, const store_media_row *row, vz_error *err)
{
    (void)err;
    json_t *item = row->text ? json_pack("{s:I, s:s}", "step", (json_int_t)row->step, "text", row->text)
                             : json_pack("{s:I, s:I, s:I, s:s}", "step", (json_int_t)row->step, "width",
                                         (json_int_t)row->width, "height", (json_int_t)row->height, "content_type",
                                         row->content_type);
    json_array_append_new(ctx, item);
    return 0;
}

static void check_media(vz_store *store, const char *run, json_t *tags, vz_media_kind kind)
{
    const char *tag;
    json_t *items;
    json_object_foreach(tags, tag, items) {
        json_t *got = json_array();
        vz_error err;
        cr_assert_eq(store_visit_media(store, run, tag, kind, collect_media, got, &err), 0, "%s", err.message);
        cr_assert_eq(json_array_size(got), json_array_size(items), "%s/%s", run, tag);
        for (size_t i = 0; i < json_array_size(items); i++) {
            json_t *want = json_array_get(items, i), *item = json_array_get(got, i);
            cr_assert(json_equal(json_object_get(item, "step"), json_object_get(want, "step")));
            if (kind == VZ_MEDIA_TEXT) {
                cr_assert_str_eq(json_string_value(json_object_get(item, "text")),
                                 json_string_value(json_object_get(want, "text")));
            } else {
                cr_assert(json_equal(json_object_get(item, "width"), json_object_get(want, "width")));
                cr_assert(json_equal(json_object_get(item, "height"), json_object_get(want, "height")));
                cr_assert_str_eq(json_string_value(json_object_get(item, "content_type")), "image/png");
            }
        }
        json_decref(got);
    }
}

static void import_and_check(const char *writer)
{
    char *db;
    vz_store *store = open_temp_store(&db);
    import_stats stats = {0};
    vz_error err;
    char logdir[256];
    snprintf(logdir, sizeof logdir, FIXTURES "%s", writer);
    cr_assert_eq(import_logdir(logdir, store, &stats, &err), 0, "%s", err.message);
    cr_assert_eq(stats.runs, 2);
    cr_assert_eq(stats.truncated, 0);
    json_t *expected = load_expected(writer);
    const char *run_key;
    json_t *run;
    json_object_foreach(json_object_get(expected, "runs"), run_key, run) {
        /* The logdir's own events are the run named after it. */
        const char *name = strcmp(run_key, ".") == 0 ? writer : run_key;
        check_scalars(store, name, json_object_get(run, "scalars"));
        check_histograms(store, name, json_object_get(run, "histograms"));
        check_media(store, name, json_object_get(run, "images"), VZ_MEDIA_IMAGE);
        check_media(store, name, json_object_get(run, "texts"), VZ_MEDIA_TEXT);
    }
    json_decref(expected);
    store_close(store);
    free(db);
}

Test(tfevents, torch_summary_writer_files_import_value_for_value) { import_and_check("torch"); }

Test(tfevents, tensorboardx_summary_writer_files_import_value_for_value) { import_and_check("tensorboardX"); }

/* ---- damaged files ---------------------------------------------------------------------------- */

/* The bytes of the first event file of the torch fixture's "sub" run (a few small records). */
static unsigned char *load_sub_events(size_t *size)
{
    import_stats unused = {0};
    (void)unused;
    FILE *list = popen("ls " FIXTURES "torch/sub/events.out.tfevents.* | head -1", "r");
    cr_assert_not_null(list);
    char path[512] = "";
    cr_assert_not_null(fgets(path, sizeof path, list));
    pclose(list);
    path[strcspn(path, "\n")] = '\0';
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    unsigned char *bytes = malloc(1 << 16);
    *size = fread(bytes, 1, 1 << 16, f);
    fclose(f);
    cr_assert_gt(*size, 40);
    return bytes;
}

/* Read every record of bytes; returns what tfe_record_next last returned. */
static int read_all(unsigned char *bytes, size_t size, size_t *records, bool *is_truncated, vz_error *err)
{
    FILE *f = fmemopen(bytes, size, "rb");
    cr_assert_not_null(f);
    tfe_record_reader r;
    tfe_record_reader_init(&r, f);
    tfe_bytes record;
    int rc;
    *records = 0;
    while ((rc = tfe_record_next(&r, &record, err)) == 1) (*records)++;
    *is_truncated = r.is_truncated;
    tfe_record_reader_free(&r);
    fclose(f);
    return rc;
}

Test(tfevents, crc32c_matches_the_castagnoli_check_value)
{
    cr_assert_eq(tfe_crc32c("123456789", 9), 0xe3069283u);
}

Test(tfevents, an_intact_file_reads_to_the_end)
{
    size_t size, records;
    bool is_truncated;
    vz_error err;
    unsigned char *bytes = load_sub_events(&size);
    cr_assert_eq(read_all(bytes, size, &records, &is_truncated, &err), 0, "%s", err.message);
    cr_assert_eq(records, 4); /* file_version + three losses */
    cr_assert_not(is_truncated);
    free(bytes);
}

Test(tfevents, a_flipped_data_byte_fails_the_crc_naming_the_record_offset)
{
    size_t size, records;
    bool is_truncated;
    vz_error err;
    unsigned char *bytes = load_sub_events(&size);
    /* The second record starts after the first: 12 header bytes, its length, 4 CRC bytes. */
    uint64_t first_length = 0;
    memcpy(&first_length, bytes, 8);
    size_t second = 12 + (size_t)first_length + 4;
    bytes[second + 12 + 3] ^= 0x10;
    cr_assert_eq(read_all(bytes, size, &records, &is_truncated, &err), -1);
    char want[64];
    snprintf(want, sizeof want, "record at byte %zu: data CRC mismatch", second);
    cr_assert_str_eq(err.message, want);
    cr_assert_eq(records, 1);
    free(bytes);
}

Test(tfevents, a_corrupt_length_is_an_error_not_a_crash)
{
    size_t size, records;
    bool is_truncated;
    vz_error err;
    unsigned char *bytes = load_sub_events(&size);
    bytes[5] = 0x7f; /* a length of terabytes */
    cr_assert_eq(read_all(bytes, size, &records, &is_truncated, &err), -1);
    cr_assert_str_eq(err.message, "record at byte 0: length CRC mismatch");
    cr_assert_eq(records, 0);
    free(bytes);
}

Test(tfevents, a_truncated_last_record_stops_reading_cleanly)
{
    size_t size, records;
    bool is_truncated;
    vz_error err;
    unsigned char *bytes = load_sub_events(&size);
    for (size_t cut = 1; cut < 20; cut++) {
        cr_assert_eq(read_all(bytes, size - cut, &records, &is_truncated, &err), 0, "cut %zu: %s", cut, err.message);
        cr_assert_eq(records, 3, "cut %zu", cut);
        cr_assert(is_truncated);
    }
    free(bytes);
}

/* A 12-byte header with a valid CRC may claim up to 1 GiB; a file that cannot hold it is a record still
 * being written, and nothing is allocated on its word (found by tests/fuzz/fuzz_tfevents_file.c). */
Test(tfevents, a_length_beyond_the_end_of_the_file_allocates_nothing)
{
    unsigned char bytes[12 + 10] = {0};
    uint64_t length = TFE_MAX_RECORD_BYTES;
    for (int i = 0; i < 8; i++) bytes[i] = (unsigned char)(length >> (8 * i));
    uint32_t crc = tfe_masked_crc(tfe_crc32c(bytes, 8));
    for (int i = 0; i < 4; i++) bytes[8 + i] = (unsigned char)(crc >> (8 * i));
    FILE *f = tmpfile(); /* a regular file: its size is known, as an event file's is */
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(bytes, 1, sizeof bytes, f), sizeof bytes);
    rewind(f);
    tfe_record_reader r;
    tfe_record_reader_init(&r, f);
    tfe_bytes record;
    vz_error err;
    cr_assert_eq(tfe_record_next(&r, &record, &err), 0, "%s", err.message);
    cr_assert(r.is_truncated);
    cr_assert_lt(r.capacity, 1024);
    tfe_record_reader_free(&r);
    fclose(f);
}

Test(tfevents, import_file_names_the_path_and_offset_of_a_corrupt_record)
{
    size_t size;
    unsigned char *bytes = load_sub_events(&size);
    bytes[size - 1] ^= 0xff; /* the last record's data CRC */
    char dir[] = "/tmp/vizd-tfe-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/events.out.tfevents.1.test", dir);
    FILE *f = fopen(path, "wb");
    fwrite(bytes, 1, size, f);
    fclose(f);
    char *db;
    vz_store *store = open_temp_store(&db);
    vz_error err;
    cr_assert_eq(import_logdir(dir, store, NULL, &err), -1);
    cr_assert(strstr(err.message, path) && strstr(err.message, "data CRC mismatch"), "%s", err.message);
    store_close(store);
    free(db);
    remove(path);
    rmdir(dir);
    free(bytes);
}

Test(tfevents, garbage_inside_a_valid_record_is_a_protobuf_error)
{
    tfe_event event;
    vz_error err;
    const unsigned char bad[] = {0x2a, 0x10, 0x01}; /* summary of 16 bytes, one present */
    cr_assert_eq(tfe_event_decode((tfe_bytes){bad, sizeof bad}, &event, &err), -1);
    cr_assert(strstr(err.message, "runs past the end"), "%s", err.message);
}
