/* buf.h -- a growable byte buffer for building answers (JSON, CSV, SSE frames).
 *
 * Answers with a million points are built here rather than as Jansson trees: appending is a memcpy,
 * and numbers are written in a short form that parses back to the same double. */
#ifndef VIZD_BUF_H
#define VIZD_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vizd/error.h"

/* Every buffer has a size limit: building an answer past it, or running out of memory, never aborts the
 * daemon. The first append that does not fit marks the buffer failed; later appends do nothing, so a
 * builder may append freely and check once at the end (buf_check), which turns the failure into a 413
 * (past the limit) or a 503 (out of memory) error. */
#define VZ_BUF_DEFAULT_LIMIT ((size_t)256 << 20) /* 256 MiB: far above any answer built in memory */

typedef struct {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;     /* most bytes it may hold; 0 means VZ_BUF_DEFAULT_LIMIT */
    bool is_failed;   /* an append did not fit: the content is incomplete */
    bool is_over_limit; /* ... because of the limit rather than a failed allocation */
} vz_buf;

void buf_init(vz_buf *b);
/* An empty buffer that may hold up to limit bytes. */
void buf_init_limited(vz_buf *b, size_t limit);
void buf_free(vz_buf *b);
/* Hand the bytes to the caller (who frees them with free()); the buffer is left empty. */
char *buf_release(vz_buf *b, size_t *len);
/* Room for extra more bytes; -1 (and the buffer failed) past the limit or out of memory. */
int buf_reserve(vz_buf *b, size_t extra);
/* The appends return 0, or -1 when the buffer is (now) failed. */
int buf_append(vz_buf *b, const void *data, size_t len);
int buf_puts(vz_buf *b, const char *s);
int buf_putc(vz_buf *b, char c);
/* 0 when every append so far fitted; else fills err: 413 "too_large" past the limit, naming what, or the
 * out-of-memory answer (vz_out_of_memory). */
int buf_check(const vz_buf *b, const char *what, vz_error *err);
void buf_printf(vz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_put_int64(vz_buf *b, int64_t v);
/* A double in the shortest decimal form that parses back to the same bits (numfmt_double). Non-finite
 * values are written as the JSON strings "NaN", "Infinity", "-Infinity" (quotes included). */
void buf_put_json_double(vz_buf *b, double v);
/* The same digits without quotes around NaN/Infinity (for CSV). */
void buf_put_plain_double(vz_buf *b, double v);
/* A JSON string literal, quotes included, escaping what JSON requires. */
void buf_put_json_string(vz_buf *b, const char *s);

#endif
