/* follow.h -- `vizd --logdir`: follow TensorBoard logdirs live, as `tensorboard --logdir` does.
 *
 * A thread of its own walks each logdir, imports what is new in every event file (new run directories,
 * new files, records appended to files being written) and then waits for inotify to say something
 * changed, or for the polling interval to pass. How far each file was read is saved with the data it
 * produced (store_write's vz_source_progress), so a restart resumes exactly where the last one stopped. */
#ifndef VIZD_FOLLOW_H
#define VIZD_FOLLOW_H

#include <stdbool.h>
#include <stddef.h>

#include "vizd/error.h"
#include "vizd/store.h"

#define FOLLOW_MAX_LOGDIRS 32
#define FOLLOW_DEFAULT_POLL_MS 500     /* the polling interval when inotify is off or unavailable */
#define FOLLOW_INOTIFY_RESCAN_MS 5000  /* with inotify, a full walk this often anyway (network mounts) */
#define FOLLOW_MIN_SCAN_GAP_MS 100     /* a file written without pause wakes the walk at most this often */

typedef struct {
    const char *name; /* NULL: runs are named by their path under dir (dir itself: its base name) */
    const char *dir;  /* else NAME for dir itself and NAME/PATH for the directories under it */
} follow_logdir;

typedef struct {
    unsigned poll_ms;   /* 0: inotify (falling back to FOLLOW_DEFAULT_POLL_MS polling); else poll only */
    bool is_quiet;      /* no progress or summary lines on stderr (tests of the library) */
} follow_options;

typedef struct follower follower;

/* Parse one --logdir value: "DIR" or TensorBoard's "NAME:DIR" (a NAME holds no '/'). */
int follow_parse_logdir(char *text, follow_logdir *out, vz_error *err);

/* Start following; the first walk begins at once on the follower's thread. */
int follow_start(follower **out, vz_store *store, const follow_logdir *logdirs, size_t count,
                 const follow_options *options, vz_error *err);
/* Walks finished so far (tests and the status line use it). */
unsigned long follow_walks(follower *f);
/* Stop the thread (an import under way stops between two batches, its progress saved) and free. */
void follow_stop(follower *f);

#endif
