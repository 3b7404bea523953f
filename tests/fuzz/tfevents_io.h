/* tfevents_io.h -- what the two event-file fuzz targets share: hand bytes to import_file, the importer's
 * entry point, through a file of this process in a RAM-backed directory (import_file takes a path, as
 * vizd --import gives it one), and a batch callback that only checks what the importer hands on. */
#ifndef VIZD_FUZZ_TFEVENTS_IO_H
#define VIZD_FUZZ_TFEVENTS_IO_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vizd/import.h"

static int fuzz_check_batch(void *ctx, vz_write *batch, vz_error *err)
{
    (void)ctx;
    (void)err;
    if (!batch->run || strcmp(batch->run, "fuzz") != 0) {
        fprintf(stderr, "the importer handed on a batch for another run\n");
        abort();
    }
    return 0;
}

static char fuzz_path[64];

static void fuzz_remove_file(void) { unlink(fuzz_path); }

static void fuzz_import_bytes(const void *data, size_t size)
{
    if (!fuzz_path[0]) {
        snprintf(fuzz_path, sizeof fuzz_path, "%s/vizd-fuzz-%ld.tfevents",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (long)getpid());
        atexit(fuzz_remove_file); /* libFuzzer ends a timed run with exit() */
    }
    const char *path = fuzz_path;
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(path);
        abort();
    }
    vz_error err;
    import_stats stats = {0};
    (void)import_file(path, "fuzz", fuzz_check_batch, NULL, &stats, &err);
}

#endif
