/* gzip.c -- gzip content coding on zlib: a buffer at once, or a stream a block at a time.
 *
 * Both use deflate with a gzip wrapper (windowBits 15 + 16). A stream keeps one z_stream and one input
 * block per answer: each time the client can take bytes, the wrapped stream's next block is read and
 * deflated into the client's buffer, so nothing beyond one block of input and zlib's own window is held.
 * Level 1 (GZIP_LEVEL says why): JSON and CSV still shrink to a fraction, at a quarter of level 6's time. */
#include "vizd/gzip.h"

#include "vizd/bincol.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

/* Level 1: deflating an answer is done on every request, and at level 6 it was most of the time of a
 * large one (the 20-run redraw as JSON columns: 145 ms of which ~125 deflating, against 36 ms at level 1
 * for 3% more bytes; the binary columns: 0.7% more bytes). On the networks a dashboard is used over, the
 * bytes level 6 saves take less time to send than it takes to find them. Static files are compressed
 * once, at build time, as hard as it goes. */
#define GZIP_LEVEL 1
#define GZIP_WINDOW_BITS (15 + 16) /* 32 KB window, gzip header and trailer */
#define GZIP_MEM_LEVEL 8

/* The q-value of one Accept-Encoding element's parameters ("; q=0.5"), 1 when absent. */
static double element_q(const char *params, const char *end)
{
    for (const char *p = params; p < end; p++) {
        if (*p != ';') continue;
        p++;
        while (p < end && (*p == ' ' || *p == '\t')) p++;
        if (p + 1 < end && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') return strtod(p + 2, NULL);
    }
    return 1;
}

bool gzip_is_accepted(const char *accept_encoding)
{
    if (!accept_encoding) return false;
    double gzip_q = -1, star_q = -1;
    for (const char *p = accept_encoding; *p;) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        const char *token = p;
        while (*p && *p != ',' && *p != ';' && *p != ' ' && *p != '\t') p++;
        size_t len = (size_t)(p - token);
        const char *end = p + strcspn(p, ",");
        double q = element_q(p, end);
        if ((len == 4 && strncasecmp(token, "gzip", 4) == 0) || (len == 6 && strncasecmp(token, "x-gzip", 6) == 0))
            gzip_q = q;
        else if (len == 1 && token[0] == '*')
            star_q = q;
        p = end;
    }
    return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

bool gzip_is_compressible(const char *content_type)
{
    if (!content_type) return false;
    /* The binary columnar answer is numbers in bytes, not text, but it compresses: a reduced run's step
     * deltas repeat, and its floats share their sign and exponent bytes. */
    static const char *const types[] = {"application/json", "text/csv", "text/plain", "text/html", "text/css",
                                        "text/javascript", "image/svg+xml", BINCOL_MEDIA_TYPE};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t len = strlen(types[i]);
        if (strncasecmp(content_type, types[i], len) == 0 && (content_type[len] == '\0' || content_type[len] == ';'))
            return true;
    }
    return false;
}

static int start(z_stream *z, vz_error *err)
{
    memset(z, 0, sizeof *z);
    if (deflateInit2(z, GZIP_LEVEL, Z_DEFLATED, GZIP_WINDOW_BITS, GZIP_MEM_LEVEL, Z_DEFAULT_STRATEGY) != Z_OK)
        return vz_out_of_memory(err, "the compressed answer");
    return 0;
}

int gzip_buffer(vz_buf *body, vz_error *err)
{
    z_stream z;
    if (start(&z, err) < 0) return -1;
    vz_buf out;
    buf_init(&out);
    /* deflateBound is the worst case (incompressible input); text needs a fraction, so grow as needed. */
    z.next_in = (unsigned char *)body->data;
    z.avail_in = (uInt)body->len;
    int rc = Z_OK;
    while (rc == Z_OK) {
        size_t room = out.len / 2 + 16384;
        if (buf_reserve(&out, room) < 0) break;
        z.next_out = (unsigned char *)out.data + out.len;
        z.avail_out = (uInt)room;
        rc = deflate(&z, Z_FINISH);
        out.len += room - z.avail_out;
        if (rc == Z_BUF_ERROR) rc = Z_OK; /* no room was left: grow and go on */
    }
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        buf_free(&out);
        return vz_out_of_memory(err, "the compressed answer");
    }
    buf_free(body);
    *body = out;
    return 0;
}

typedef struct {
    http_stream inner;
    z_stream z;
    unsigned char *in;
    size_t in_size;
    bool is_inner_done;
    bool is_finished;
} gzip_state;

static ssize_t gzip_read(void *ctx, http_conn *conn, char *buf, size_t max)
{
    gzip_state *g = ctx;
    if (g->is_finished) return HTTP_STREAM_END;
    g->z.next_out = (unsigned char *)buf;
    g->z.avail_out = (uInt)max;
    while (g->z.avail_out > 0) {
        if (g->z.avail_in == 0 && !g->is_inner_done) {
            /* Send what is compressed before asking for more, so the client sees progress. */
            if (g->z.avail_out < max) break;
            ssize_t n = g->inner.read(g->inner.ctx, conn, (char *)g->in, g->in_size);
            if (n == HTTP_STREAM_FAILED) return HTTP_STREAM_FAILED;
            if (n == 0) return 0; /* the inner stream suspended the connection */
            if (n < 0) {
                g->is_inner_done = true;
            } else {
                g->z.next_in = g->in;
                g->z.avail_in = (uInt)n;
            }
        }
        int rc = deflate(&g->z, g->is_inner_done ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_END) {
            g->is_finished = true;
            break;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) return HTTP_STREAM_FAILED;
    }
    size_t n = max - g->z.avail_out;
    return n == 0 && g->is_finished ? HTTP_STREAM_END : (ssize_t)n;
}

static void gzip_done(void *ctx)
{
    gzip_state *g = ctx;
    if (g->inner.done) g->inner.done(g->inner.ctx);
    deflateEnd(&g->z);
    free(g->in);
    free(g);
}

int gzip_stream(http_stream *stream, vz_error *err)
{
    gzip_state *g = calloc(1, sizeof *g);
    size_t block = stream->block_bytes ? stream->block_bytes : 4096;
    unsigned char *in = malloc(block);
    if (!g || !in) {
        free(g);
        free(in);
        return vz_out_of_memory(err, "the compressed answer");
    }
    if (start(&g->z, err) < 0) {
        free(g);
        free(in);
        return -1;
    }
    g->inner = *stream;
    g->in = in;
    g->in_size = block;
    *stream = (http_stream){.read = gzip_read, .done = gzip_done, .ctx = g, .block_bytes = block};
    return 0;
}
