/* follow.c -- `vizd --logdir`: follow TensorBoard logdirs while training jobs write them.
 *
 * One thread loops: walk every logdir, then import what is new, then wait. A walk lists each directory
 * (a directory holding events.out.tfevents.* files is a run, named as --import names it) and stats each
 * event file against what is known of it: its inode and the byte offset reached. A file that grew is read
 * from that offset (import_file_from); one that shrank or whose inode changed (replaced, or truncated and
 * rewritten) from the start again, and as scalars are keyed by step, its steps are replaced, not doubled.
 * A final record not yet complete stops the read before it: it is read whole on a later pass, never half,
 * and never called corrupt. Each batch carries the offset its data ends at and the store saves both in one
 * transaction, so the table of offsets loaded at start-up is exactly what is stored (restart, SIGKILL).
 *
 * The wait is inotify on every directory walked (a change anywhere wakes a new walk, at most every
 * FOLLOW_MIN_SCAN_GAP_MS) with a full walk every FOLLOW_INOTIFY_RESCAN_MS anyway, or plain polling every
 * poll_ms when asked for, when inotify is missing, or when a directory could not be watched (the watch
 * limit). Walking is cheap next to reading: a readdir per directory and a stat per file.
 *
 * Commits go through store_write, so the store's commit hook publishes them as live events and open
 * dashboards update as with writes over HTTP. A file that fails (a CRC mismatch in the middle) is named
 * once on stderr and left until it changes. A deleted file's data stays in the store. */
#include "vizd/follow.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vizd/json.h"
#include "vizd/buf.h"
#include "vizd/clock.h"
#include "vizd/import.h"
#include "vizd/tfevents.h"

#define EVENT_FILE_PREFIX "events.out.tfevents."
#define MAX_DEPTH 64
#define PROGRESS_AFTER_S 1.0   /* a pass shorter than this prints no progress ... */
#define PROGRESS_LARGE_BYTES (32u << 20) /* ... unless it has this much to read: shown from the start */
#define PROGRESS_PLAIN_S 5.0   /* between two progress lines when stderr is not a terminal */
#define WATCH_MASK (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM)

/* What is known of one event file. */
typedef struct {
    char *path;
    char *run;        /* NULL until a walk finds the file (entries loaded from the store have none) */
    uint64_t inode;
    uint32_t first_crc; /* see first_record_crc */
    uint64_t offset;  /* the byte after the last record whose data is stored */
    bool is_failed;   /* reading failed at failed_size bytes: left alone until the file changes */
    uint64_t failed_size;
    uint64_t size;    /* at the last walk */
} tracked_file;

struct follower {
    vz_store *store;
    follow_logdir logdirs[FOLLOW_MAX_LOGDIRS];
    size_t logdir_count;
    follow_options options;
    pthread_t thread;
    int stop_pipe[2];
    int inotify_fd; /* -1: polling */
    bool has_unwatched_dir;
    atomic_bool is_stopping;
    atomic_ulong walks;
    /* The file table: an open-addressing hash of pointers by path. */
    tracked_file **slots;
    size_t slot_count, file_count;
    /* The pass under way: the files to read and progress figures. */
    tracked_file **pending;
    size_t pending_count, pending_capacity;
    uint64_t pass_bytes, pass_bytes_done, file_start_offset, file_bytes_before;
    size_t pass_files_done;
    double pass_started_s, last_progress_s;
    bool has_printed_progress;
    import_stats stats;     /* since start-up */
    size_t skip_signature;  /* of the kinds and tags skipped last told (see tell_new_skips) */
};

/* ---- the file table -------------------------------------------------------------------------------- */

static uint64_t hash_path(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static tracked_file **slot_for(follower *f, const char *path)
{
    size_t mask = f->slot_count - 1;
    for (size_t i = hash_path(path) & mask;; i = (i + 1) & mask)
        if (!f->slots[i] || strcmp(f->slots[i]->path, path) == 0) return &f->slots[i];
}

static int table_grow(follower *f)
{
    size_t n = f->slot_count ? f->slot_count * 2 : 1024;
    tracked_file **old = f->slots;
    size_t old_count = f->slot_count;
    if (!(f->slots = calloc(n, sizeof *f->slots))) {
        f->slots = old;
        return -1;
    }
    f->slot_count = n;
    for (size_t i = 0; i < old_count; i++)
        if (old[i]) *slot_for(f, old[i]->path) = old[i];
    free(old);
    return 0;
}

/* The entry for path, created (offset 0) if new; NULL when out of memory. */
static tracked_file *track(follower *f, const char *path)
{
    if ((f->file_count + 1) * 2 > f->slot_count && table_grow(f) < 0) return NULL;
    tracked_file **slot = slot_for(f, path);
    if (*slot) return *slot;
    tracked_file *file = calloc(1, sizeof *file);
    if (!file || !(file->path = strdup(path))) {
        free(file);
        return NULL;
    }
    *slot = file;
    f->file_count++;
    return file;
}

static int load_saved(void *ctx, const vz_source_progress *p, vz_error *err)
{
    tracked_file *file = track(ctx, p->path);
    if (!file) return vz_out_of_memory(err, "loading followed files");
    file->inode = p->inode;
    file->first_crc = p->first_crc;
    file->offset = p->offset;
    file->size = UINT64_MAX; /* unknown: the first walk checks the file's first record */
    return 0;
}

static void table_free(follower *f)
{
    for (size_t i = 0; i < f->slot_count; i++)
        if (f->slots[i]) {
            free(f->slots[i]->path);
            free(f->slots[i]->run);
            free(f->slots[i]);
        }
    free(f->slots);
}

/* ---- walking ------------------------------------------------------------------------------------- */

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool push(char ***list, size_t *count, size_t *capacity, const char *name)
{
    if (*count == *capacity) {
        size_t n = *capacity ? *capacity * 2 : 16;
        char **grown = realloc(*list, n * sizeof *grown);
        if (!grown) return false;
        *list = grown;
        *capacity = n;
    }
    return ((*list)[*count] = strdup(name)) ? (++*count, true) : false;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static bool queue_file(follower *f, tracked_file *file)
{
    if (f->pending_count == f->pending_capacity) {
        size_t n = f->pending_capacity ? f->pending_capacity * 2 : 64;
        tracked_file **grown = realloc(f->pending, n * sizeof *grown);
        if (!grown) return false;
        f->pending = grown;
        f->pending_capacity = n;
    }
    f->pending[f->pending_count++] = file;
    f->pass_bytes += file->size - file->offset;
    return true;
}

/* The stored (masked) data CRC of a file's first record, or 0 when that record is not complete yet. The
 * first record is the writer's file_version event with its start time, so a file truncated and written
 * again in place has another, even when it ends up longer than the offset reached before. */
static uint32_t first_record_crc(const char *path)
{
    FILE *file = fopen(path, "rb");
    if (!file) return 0;
    unsigned char header[12], crc[4];
    uint32_t result = 0;
    if (fread(header, 1, sizeof header, file) == sizeof header) {
        uint64_t length = 0;
        for (int i = 7; i >= 0; i--) length = length << 8 | header[i];
        if (length <= TFE_MAX_RECORD_BYTES && fseeko(file, (off_t)(12 + length), SEEK_SET) == 0 &&
            fread(crc, 1, sizeof crc, file) == sizeof crc)
            result = (uint32_t)crc[0] | (uint32_t)crc[1] << 8 | (uint32_t)crc[2] << 16 | (uint32_t)crc[3] << 24;
    }
    fclose(file);
    return result;
}

/* Decide what an event file found by the walk needs. */
static void consider_file(follower *f, const char *path, const char *run, const struct stat *st)
{
    tracked_file *file = track(f, path);
    if (!file) return; /* out of memory: the next walk tries again */
    if (!file->run || strcmp(file->run, run) != 0) {
        free(file->run);
        file->run = strdup(run);
        if (!file->run) return;
    }
    uint64_t size = (uint64_t)st->st_size, inode = (uint64_t)st->st_ino;
    if (size == file->size && inode == file->inode) return; /* unchanged since the last walk */
    uint32_t first_crc = first_record_crc(path);
    if (file->inode != inode || size < file->offset || (file->offset && first_crc != file->first_crc)) {
        /* Replaced, or truncated and rewritten: read it all again (its steps replace the old ones). */
        file->inode = inode;
        file->offset = 0;
        file->is_failed = false;
    }
    file->first_crc = first_crc;
    if (file->is_failed && size == file->failed_size) return;
    file->is_failed = false;
    file->size = size;
    if (size > file->offset && !queue_file(f, file)) return;
}

static void run_name(const follow_logdir *logdir, const char *base, const char *rel, char *out, size_t size)
{
    if (logdir->name) snprintf(out, size, "%s%s%s", logdir->name, *rel ? "/" : "", rel);
    else snprintf(out, size, "%s", *rel ? rel : base);
}

static void walk_dir(follower *f, const follow_logdir *logdir, const char *root, const char *base, const char *rel,
                     unsigned depth)
{
    if (depth > MAX_DEPTH) return; /* deeper than any real logdir: a loop through a bind mount */
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s%s%s", root, *rel ? "/" : "", rel) >= (int)sizeof path) return;
    if (f->inotify_fd >= 0 && inotify_add_watch(f->inotify_fd, path, WATCH_MASK) < 0) f->has_unwatched_dir = true;
    DIR *d = opendir(path);
    if (!d) return; /* removed meanwhile */
    char **files = NULL, **subdirs = NULL;
    size_t file_count = 0, subdir_count = 0, file_capacity = 0, subdir_capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(d))) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) continue;
        bool is_events = strncmp(name, EVENT_FILE_PREFIX, strlen(EVENT_FILE_PREFIX)) == 0;
        /* d_type spares a stat per directory entry; DT_UNKNOWN (some file systems) is decided below. */
        if (entry->d_type == DT_DIR && !is_events) push(&subdirs, &subdir_count, &subdir_capacity, name);
        else if (is_events || entry->d_type == DT_UNKNOWN) push(&files, &file_count, &file_capacity, name);
    }
    closedir(d);
    if (file_count) qsort(files, file_count, sizeof *files, compare_names);
    char run[PATH_MAX];
    run_name(logdir, base, rel, run, sizeof run);
    for (size_t i = 0; i < file_count; i++) {
        char file[PATH_MAX];
        struct stat st;
        if (snprintf(file, sizeof file, "%s/%s", path, files[i]) >= (int)sizeof file || lstat(file, &st) < 0)
            continue;
        bool is_events = strncmp(files[i], EVENT_FILE_PREFIX, strlen(EVENT_FILE_PREFIX)) == 0;
        if (S_ISREG(st.st_mode) && is_events) consider_file(f, file, run, &st);
        else if (S_ISDIR(st.st_mode)) push(&subdirs, &subdir_count, &subdir_capacity, files[i]);
    }
    if (subdir_count) qsort(subdirs, subdir_count, sizeof *subdirs, compare_names);
    for (size_t i = 0; i < subdir_count && !atomic_load(&f->is_stopping); i++) {
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s%s%s", rel, *rel ? "/" : "", subdirs[i]) >= (int)sizeof child) continue;
        walk_dir(f, logdir, root, base, child, depth + 1);
    }
    free_names(files, file_count);
    free_names(subdirs, subdir_count);
}

static void walk_all(follower *f)
{
    f->has_unwatched_dir = false;
    for (size_t i = 0; i < f->logdir_count; i++) {
        char root[PATH_MAX];
        if (!realpath(f->logdirs[i].dir, root)) {
            f->has_unwatched_dir = true; /* not there (yet): poll for it */
            continue;
        }
        const char *slash = strrchr(root, '/');
        walk_dir(f, &f->logdirs[i], root, slash && slash[1] ? slash + 1 : "logdir", "", 0);
    }
}

/* ---- importing ----------------------------------------------------------------------------------- */

static void print_progress(follower *f, bool is_final)
{
    double now = clock_now_s(), elapsed = now - f->pass_started_s;
    bool is_tty = isatty(STDERR_FILENO);
    bool is_large = elapsed >= PROGRESS_AFTER_S || f->pass_bytes >= PROGRESS_LARGE_BYTES;
    if (!is_final && (!is_large || (!is_tty && f->has_printed_progress && now - f->last_progress_s < PROGRESS_PLAIN_S)))
        return;
    if (is_final && !f->has_printed_progress) return;
    size_t points = f->stats.scalars + f->stats.histograms + f->stats.images + f->stats.texts;
    double rate = elapsed > 0 ? points / elapsed : 0, byte_rate = elapsed > 0 ? f->pass_bytes_done / elapsed : 0;
    double eta = byte_rate > 0 ? (f->pass_bytes - f->pass_bytes_done) / byte_rate : 0;
    fprintf(stderr, "%svizd: --logdir: %zu/%zu files, %zu records, %.0f points/s, %s %.1f s%s",
            is_tty ? "\r\033[K" : "", f->pass_files_done, f->pending_count, f->stats.events, rate,
            is_final ? "took" : "ETA", is_final ? elapsed : eta, is_tty && !is_final ? "" : "\n");
    f->has_printed_progress = true;
    f->last_progress_s = now;
}

static int store_batch(void *ctx, vz_write *write, vz_error *err)
{
    follower *f = ctx;
    if (atomic_load(&f->is_stopping)) return vz_fail(err, 503, "stopping", "", "vizd is stopping");
    if (store_write(f->store, write, err) < 0) return -1;
    f->pass_bytes_done = f->file_bytes_before + (write->source->offset - f->file_start_offset);
    if (!f->options.is_quiet) print_progress(f, false);
    return 0;
}

static void import_pending(follower *f)
{
    for (size_t i = 0; i < f->pending_count && !atomic_load(&f->is_stopping); i++) {
        tracked_file *file = f->pending[i];
        vz_source_progress progress = {file->path, file->inode, file->first_crc, file->offset};
        f->file_start_offset = file->offset;
        f->file_bytes_before = f->pass_bytes_done;
        vz_error err;
        int rc = import_file_from(file->path, file->run, &progress, store_batch, f, &f->stats, &err);
        file->offset = progress.offset;
        f->pass_bytes_done = f->file_bytes_before + (file->size - f->file_start_offset);
        f->pass_files_done++;
        if (rc < 0 && strcmp(err.code, "stopping") != 0 && strcmp(err.code, "not_found") != 0) {
            file->is_failed = true;
            file->failed_size = file->size;
            fprintf(stderr, "vizd: --logdir: %s (left until the file changes)\n", err.message);
        }
    }
}

static void print_first_pass(follower *f)
{
    vz_buf skipped;
    buf_init(&skipped);
    import_describe_skips(&f->stats, &skipped);
    fprintf(stderr, "vizd: --logdir: read %zu files: %zu scalars, %zu histograms, %zu images, %zu texts, "
            "%zu graphs (%zu values skipped%s%s); following\n", f->pending_count, f->stats.scalars,
            f->stats.histograms, f->stats.images, f->stats.texts, f->stats.graphs, f->stats.skipped,
            f->stats.skipped ? ": " : "", skipped.len ? skipped.data : "");
    buf_free(&skipped);
}

/* After the first pass, a line whenever a kind or tag is skipped that was not before: a writer adding
 * audio every step gets one line, not one per pass. */
static size_t skip_signature(const import_stats *stats)
{
    size_t signature = stats->skip_kinds;
    for (size_t i = 0; i < stats->skip_kinds; i++)
        signature = signature * 31 + stats->skips[i].tag_count * 2 + stats->skips[i].has_more_tags;
    return signature;
}

static void tell_new_skips(follower *f)
{
    size_t signature = skip_signature(&f->stats);
    if (signature == f->skip_signature) return;
    f->skip_signature = signature;
    vz_buf skipped;
    buf_init(&skipped);
    import_describe_skips(&f->stats, &skipped);
    fprintf(stderr, "vizd: --logdir: values skipped so far (vizd has no view for them): %s\n",
            skipped.len ? skipped.data : "");
    buf_free(&skipped);
}

static void one_pass(follower *f)
{
    bool is_first = atomic_load(&f->walks) == 0;
    f->pending_count = 0;
    f->pass_bytes = f->pass_bytes_done = 0;
    f->pass_files_done = 0;
    f->has_printed_progress = false;
    f->pass_started_s = clock_now_s();
    if (is_first) memset(&f->stats, 0, sizeof f->stats);
    walk_all(f);
    import_pending(f);
    if (!f->options.is_quiet) {
        print_progress(f, true);
        if (is_first && !atomic_load(&f->is_stopping)) print_first_pass(f);
        if (is_first) f->skip_signature = skip_signature(&f->stats); /* the first pass's line named them */
        else tell_new_skips(f);
    }
    atomic_fetch_add(&f->walks, 1);
}

/* ---- waiting ------------------------------------------------------------------------------------- */

/* Wait up to ms for the stop pipe or (when watch is set) inotify. true when inotify spoke. */
static bool wait_for(follower *f, long ms, bool watch)
{
    struct pollfd fds[2] = {{.fd = f->stop_pipe[0], .events = POLLIN}, {.fd = f->inotify_fd, .events = POLLIN}};
    int n = poll(fds, watch && f->inotify_fd >= 0 ? 2 : 1, (int)ms);
    if (n <= 0 || !(fds[1].revents & POLLIN) || !watch) return false;
    char events[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    while (read(f->inotify_fd, events, sizeof events) > 0) {
    } /* the fd is non-blocking: drained; what changed is found by the walk */
    return true;
}

static void *follow_main(void *arg)
{
    follower *f = arg;
    while (!atomic_load(&f->is_stopping)) {
        double started = clock_now_s();
        one_pass(f);
        bool is_polling = f->inotify_fd < 0 || f->has_unwatched_dir;
        long wait_ms = is_polling ? (long)(f->options.poll_ms ? f->options.poll_ms : FOLLOW_DEFAULT_POLL_MS)
                                  : FOLLOW_INOTIFY_RESCAN_MS;
        if (wait_for(f, wait_ms, !is_polling)) {
            long since_ms = (long)((clock_now_s() - started) * 1000);
            if (since_ms < FOLLOW_MIN_SCAN_GAP_MS) wait_for(f, FOLLOW_MIN_SCAN_GAP_MS - since_ms, false);
        }
    }
    return NULL;
}

/* ---- starting and stopping ------------------------------------------------------------------------- */

int follow_parse_logdir(char *text, follow_logdir *out, vz_error *err)
{
    char *colon = strchr(text, ':');
    *out = (follow_logdir){.dir = text};
    /* TensorBoard's NAME:DIR; a colon after a '/' belongs to the path. */
    if (colon && colon != text && !memchr(text, '/', (size_t)(colon - text))) {
        *colon = '\0';
        out->name = text;
        out->dir = colon + 1;
    }
    if (*out->dir == '\0') return vz_fail(err, 400, "invalid_value", "logdir", "--logdir needs a directory");
    if (out->name && name_check(out->name, "logdir", err) < 0) return -1;
    return 0;
}

int follow_start(follower **out, vz_store *store, const follow_logdir *logdirs, size_t count,
                 const follow_options *options, vz_error *err)
{
    if (count == 0 || count > FOLLOW_MAX_LOGDIRS)
        return vz_fail(err, 400, "invalid_value", "logdir", "give 1 to %d --logdir values", FOLLOW_MAX_LOGDIRS);
    follower *f = calloc(1, sizeof *f);
    if (!f) return vz_out_of_memory(err, "starting --logdir");
    f->store = store;
    memcpy(f->logdirs, logdirs, count * sizeof *logdirs);
    f->logdir_count = count;
    f->options = *options;
    f->inotify_fd = -1;
    atomic_init(&f->is_stopping, false);
    atomic_init(&f->walks, 0);
    if (pipe(f->stop_pipe) < 0) {
        free(f);
        return vz_fail(err, 500, "io_error", "", "--logdir: cannot make a pipe: %s", strerror(errno));
    }
    if (options->poll_ms == 0) f->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC); /* -1: poll */
    int rc = store_read_sources(store, load_saved, f, err);
    if (rc == 0 && pthread_create(&f->thread, NULL, follow_main, f) != 0)
        rc = vz_fail(err, 500, "internal", "", "--logdir: cannot start the follower thread");
    if (rc < 0) {
        table_free(f);
        if (f->inotify_fd >= 0) close(f->inotify_fd);
        close(f->stop_pipe[0]);
        close(f->stop_pipe[1]);
        free(f);
        return -1;
    }
    *out = f;
    return 0;
}

unsigned long follow_walks(follower *f)
{
    return atomic_load(&f->walks);
}

void follow_stop(follower *f)
{
    if (!f) return;
    atomic_store(&f->is_stopping, true);
    ssize_t ignored = write(f->stop_pipe[1], "x", 1);
    (void)ignored;
    pthread_join(f->thread, NULL);
    table_free(f);
    free(f->pending);
    if (f->inotify_fd >= 0) close(f->inotify_fd);
    close(f->stop_pipe[0]);
    close(f->stop_pipe[1]);
    free(f);
}
