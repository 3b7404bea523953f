/* buf.h -- a growable byte buffer for building answers (JSON, CSV, SSE frames).
 *
 * Answers with a million points are built here rather than as Jansson trees: appending is a memcpy,
 * and numbers are written in a short form that parses back to the same double. */
#ifndef VIZD_BUF_H
#define VIZD_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} vz_buf;

void buf_init(vz_buf *b);
void buf_free(vz_buf *b);
/* Hand the bytes to the caller (who frees them with free()); the buffer is left empty. */
char *buf_release(vz_buf *b, size_t *len);
void buf_reserve(vz_buf *b, size_t extra);
void buf_append(vz_buf *b, const void *data, size_t len);
void buf_puts(vz_buf *b, const char *s);
void buf_putc(vz_buf *b, char c);
void buf_printf(vz_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_put_int64(vz_buf *b, int64_t v);
/* A double in a decimal form that parses back to the same bits: 15 digits when enough, else 17. Non-finite values are
 * written as the JSON strings "NaN", "Infinity", "-Infinity" (quotes included). */
void buf_put_json_double(vz_buf *b, double v);
/* The same digits without quotes around NaN/Infinity (for CSV). */
void buf_put_plain_double(vz_buf *b, double v);
/* A JSON string literal, quotes included, escaping what JSON requires. */
void buf_put_json_string(vz_buf *b, const char *s);

#endif
