/* http.c -- libmicrohttpd glue: the listener, the routing table, request checks, static assets and JSON
 * error answers.
 *
 * libmicrohttpd runs a poll loop in one thread (a pool with --threads). As soon as a request's headers are
 * complete, check_head judges everything the head decides (Host, route, method, token, Origin, content
 * type, query keys, declared length) and a refusal is answered without reading the body. An accepted body
 * grows as its bytes arrive (413 past --max-body), then the route's handler runs. Handlers fill an
 * http_response or return a vz_error; this file is the one place an error becomes an answer, always
 * {"error": {status, code, message, path}} and never an HTML page, libmicrohttpd's own refusals included.
 * A handler runs on a worker thread while its connection is suspended (reads, small bodies and large ones
 * on separate pools), so no libmicrohttpd thread waits for a query, a parse or a group commit; /healthz,
 * and a write with a small body (POST /api/v1/write never waits: it defers its answer to the group commit,
 * see http_defer), run in place. Long answers are streamed, and event streams suspend their connection
 * too, so none of them holds a thread.
 * Connections are capped overall and per address, and cut when their head is late (deadline.c). */
#include "vizd/http.h"
#include "vizd/gzip.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <math.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vizd/api.h"
#include "vizd/app.h"
#include "vizd/assets.h"
#include "vizd/deadline.h"
#include "vizd/json.h"
#include "vizd/workers.h"

struct http_server {
    struct MHD_Daemon *daemon;
    vz_app *app;
    http_options options;
    deadline_watch *deadlines;
    atomic_int active_requests; /* from a request's complete head to its completion */
    atomic_int deferred_answers; /* from http_defer to http_deferred_done */
    workers *reads; /* run the handlers of reads (see dispatch) */
    workers *small_bodies, *large_bodies; /* run the handlers of requests with a body (see dispatch) */
};

/* A body up to this size is a small request: its handler runs among the small ones, never queued behind
 * the parse or commit of a large body. Large bodies run at most LARGE_BODY_WORKERS at a time, which also
 * bounds the memory their parsed forms take together. */
#define SMALL_BODY_BYTES (256 * 1024)
/* A body up to this size, for a route whose handler never waits, is parsed on the libmicrohttpd thread
 * (tens of microseconds) rather than handed to a worker. */
#define QUICK_BODY_BYTES (16 * 1024)
#define SMALL_BODY_WORKERS 8
#define LARGE_BODY_WORKERS 2
/* Reads run here, so that a long one (a reduced query over 256 runs, a status count on a large file)
 * holds up no connection but its own while the few libmicrohttpd threads serve every other. */
#define READ_WORKERS 8

/* A URL longer than this, or with more query parameters, is refused with 414 (JSON): libmicrohttpd's
 * per-connection memory (CONNECTION_MEMORY_BYTES) must hold the request line, the headers and one 64-byte
 * record per parameter with room to spare, or it would cut the query silently or answer with its own
 * page. That memory is not kept small for nothing: libmicrohttpd zeroes all of it between two requests on
 * a connection, so each kept-alive connection holds all of it (96 KiB x 512 connections per address =
 * 48 MiB; 256 KiB made that 128 MiB). 512 parameters leave room for 256 run= values and the rest. */
#define MAX_URI_BYTES (32 * 1024)
#define MAX_QUERY_PARAMS 512
#define CONNECTION_MEMORY_BYTES (96 * 1024)
/* A connection with no traffic for this long is closed (libmicrohttpd counts from its last byte), */
#define IDLE_TIMEOUT_S 120
/* and one that has not sent a complete request head this long after it opened or after its previous
 * answer (deadline.h): a slow client cannot keep a connection by sending a header line now and then. */
#define HEAD_DEADLINE_S 10.0
#define LISTEN_BACKLOG 1024

/* Per-request state, from the first callback to the completion callback. */
typedef struct {
    http_request req;
    const struct route *route; /* NULL: a dashboard file */
    size_t uri_bytes, query_params;
    bool has_head, is_refused, is_too_large, wants_token;
    vz_error refusal;
    char allow[64];
    vz_buf body;
    /* A handler run by a worker, or deferred (http_defer), leaves its outcome here for the libmicrohttpd
     * thread to send. */
    http_server *server;
    bool is_handled;
    int handler_rc;
    http_response res;
    vz_error err;
} request_state;

/* What a route's body must be: none, a JSON document, or raw bytes (an image, little-endian values). */
typedef enum { BODY_NONE, BODY_JSON, BODY_RAW } body_kind;

typedef struct route {
    const char *method;
    const char *path;
    http_handler handler;
    body_kind body;
    const char *const *query_keys; /* the query parameters the route knows; any other is refused */
} route;

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})
static const char *const no_keys[] = {NULL};

static const route routes[] = {
    {"POST", "/api/v1/write", api_write, BODY_JSON, no_keys},
    {"GET", "/api/v1/runs", api_runs_list, BODY_NONE, no_keys},
    {"DELETE", "/api/v1/runs", api_runs_delete, BODY_NONE, KEYS("run")},
    {"GET", "/api/v1/tags", api_tags, BODY_NONE, KEYS("run", "kind", "limit", "after")},
    {"GET", "/api/v1/hparams", api_hparams, BODY_NONE, KEYS("tag", "run")},
    {"GET", "/api/v1/scalars", api_scalars, BODY_NONE, KEYS("tag", "run", "points", "start", "end", "format", "fields")},
    {"POST", "/api/v1/histograms", api_histograms_upload, BODY_RAW,
     KEYS("run", "tag", "step", "wall_time", "dtype", "bins")},
    {"GET", "/api/v1/histograms", api_histograms, BODY_NONE, KEYS("tag", "run", "steps")},
    {"GET", "/api/v1/distributions", api_distributions, BODY_NONE, KEYS("tag", "run", "steps")},
    {"POST", "/api/v1/images", api_images_upload, BODY_RAW, KEYS("run", "tag", "step", "wall_time", "index")},
    {"GET", "/api/v1/images", api_images, BODY_NONE, KEYS("tag", "run")},
    {"POST", "/api/v1/tensors", api_tensors_upload, BODY_RAW,
     KEYS("run", "tag", "step", "wall_time", "index", "shape", "dtype", "kind", "colormap", "normalize", "overlay",
          "image_weight")},
    {"GET", "/api/v1/tensors", api_tensors, BODY_NONE, KEYS("tag", "run")},
    {"GET", "/api/v1/texts", api_texts, BODY_NONE, KEYS("tag", "run")},
    {"GET", "/api/v1/blobs/", api_blob, BODY_NONE, KEYS("shape", "dtype", "channels", "size")}, /* a prefix: /api/v1/blobs/ID */
    {"GET", "/api/v1/graph", api_graph, BODY_NONE, KEYS("run", "depth", "columns")},
    {"GET", "/api/v1/graph/summary", api_graph_summary, BODY_NONE, KEYS("run", "depth", "columns", "format")},
    {"GET", "/api/v1/events", api_events, BODY_NONE, no_keys},
    {"GET", "/api/v1/status", api_status, BODY_NONE, no_keys},
    {"GET", "/healthz", api_healthz, BODY_NONE, no_keys},
};

/* Whether a route's handler never waits (it defers its answer, see http_defer), so that a small body of
 * its is handled in place (see dispatch). */
static bool is_quick_route(const route *r) { return r->handler == api_write; }

/* Whether a read is answered in place: it takes microseconds, less than a hand-off to a worker. */
static bool is_instant_read(const route *r) { return r->handler == api_healthz; }

/* ---- answers ------------------------------------------------------------------------------------ */

/* On every answer. The dashboard loads only its own files (no inline script or style, no eval), shows
 * images from its own blobs or from blob:/data: URLs it made, and is never framed: a page elsewhere
 * cannot inject script into it or overlay it (clickjacking). Answers are never sniffed as another
 * type, and no URL (which holds run names) leaves in a Referer. */
static const char content_security_policy[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static void add_common_headers(struct MHD_Response *response)
{
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Content-Security-Policy", content_security_policy);
    MHD_add_response_header(response, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(response, "X-Frame-Options", "DENY");
    MHD_add_response_header(response, "Cross-Origin-Resource-Policy", "same-origin");
}

static bool accepts_gzip(struct MHD_Connection *conn)
{
    return gzip_is_accepted(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Accept-Encoding"));
}

/* The headers of an answer that may come gzip-compressed (its type is compressible): which form it is
 * depends on Accept-Encoding (Vary), and each form has its own strong ETag, "-gz" marking the gzip one. */
static void add_encoding_headers(struct MHD_Response *response, const char *etag, bool is_gzip)
{
    MHD_add_response_header(response, "Vary", "Accept-Encoding");
    if (is_gzip) MHD_add_response_header(response, "Content-Encoding", "gzip");
    if (!etag || !etag[0]) return;
    char tagged[96];
    size_t len = strlen(etag);
    if (is_gzip && len >= 2 && etag[len - 1] == '"') snprintf(tagged, sizeof tagged, "%.*s-gz\"", (int)(len - 1), etag);
    else snprintf(tagged, sizeof tagged, "%s", etag);
    MHD_add_response_header(response, "ETag", tagged);
}

static enum MHD_Result queue_buffer(struct MHD_Connection *conn, int status, const char *content_type,
                                    vz_buf *body, const http_response *res)
{
    bool is_varying = res && (status == 200 || status == 304) && gzip_is_compressible(content_type), is_gzip = false;
    vz_error gzip_err; /* compression failing (out of memory) leaves the identity answer, which is still right */
    if (is_varying && status == 200 && body->len >= GZIP_MIN_BYTES && accepts_gzip(conn))
        is_gzip = gzip_buffer(body, &gzip_err) == 0;
    size_t len;
    char *data = buf_release(body, &len);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE
                                                                            : MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", content_type);
    add_common_headers(response);
    if (is_varying) add_encoding_headers(response, res->etag, is_gzip);
    else if (res && res->etag[0]) MHD_add_response_header(response, "ETag", res->etag);
    MHD_add_response_header(response, "Cache-Control", res && res->cache_control ? res->cache_control : "no-store");
    if (res && res->content_disposition_name) {
        char disposition[256];
        snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", res->content_disposition_name);
        MHD_add_response_header(response, "Content-Disposition", disposition);
    }
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, response);
    MHD_destroy_response(response);
    return ok;
}

/* The JSON error answer for err, or NULL when out of memory. */
static struct MHD_Response *error_response(const vz_error *err)
{
    /* vz_fail keeps code, path and message valid UTF-8, so the answer is valid JSON text (RFC 8259 8.1). */
    vz_buf body;
    buf_init(&body);
    buf_printf(&body, "{\"error\":{\"status\":%d,\"code\":", err->status);
    buf_put_json_string(&body, err->code);
    buf_puts(&body, ",\"message\":");
    buf_put_json_string(&body, err->message);
    buf_puts(&body, ",\"path\":");
    buf_put_json_string(&body, err->path);
    buf_puts(&body, "}}\n");
    size_t len;
    char *data = buf_release(&body, &len);
    struct MHD_Response *response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
    if (!response) {
        free(data);
        return NULL;
    }
    MHD_add_response_header(response, "Content-Type", "application/json");
    MHD_add_response_header(response, "Cache-Control", "no-store");
    add_common_headers(response);
    return response;
}

static enum MHD_Result queue_error(struct MHD_Connection *conn, const vz_error *err, const char *allow,
                                   bool wants_token)
{
    struct MHD_Response *response = error_response(err);
    if (!response) return MHD_NO;
    if (allow) MHD_add_response_header(response, "Allow", allow);
    if (wants_token) MHD_add_response_header(response, "WWW-Authenticate", "Bearer");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)err->status, response);
    MHD_destroy_response(response);
    return ok;
}

/* ---- libmicrohttpd's own error answers ---------------------------------------------------------- */

/* libmicrohttpd 0.9.75 answers some requests itself, before any callback of vizd's runs: a head too large
 * for the connection's memory (431, or 414 when the request line alone is), a malformed request line or
 * header, Content-Length or chunked body (400, 413), an HTTP version it does not speak (505). It has no
 * option to replace those HTML pages; it makes them with MHD_create_response_from_buffer and queues them
 * with MHD_queue_response, an exported function it calls through the dynamic linker. So vizd defines
 * MHD_queue_response itself, and every call, vizd's and libmicrohttpd's, comes here first. An answer
 * vizd made carries its security headers; one without is libmicrohttpd's, and is replaced by the JSON
 * error of the same status before the real MHD_queue_response (dlsym(RTLD_NEXT)) sends it. If a build of
 * libmicrohttpd bound that call inside itself (-Bsymbolic, static linking), its pages would come back:
 * tests/api/test_request_head.py checks for them. */
typedef enum MHD_Result (*queue_response_fn)(struct MHD_Connection *, unsigned int, struct MHD_Response *);
static queue_response_fn real_queue_response; /* set once by http_start, before any connection */

static void describe_library_error(unsigned status, vz_error *err)
{
    switch (status) {
    case 413: vz_fail(err, 413, "body_too_large", "", "the body or one of its chunks is too large"); break;
    case 414: vz_fail(err, 414, "uri_too_long", "", "the request line is too long"); break;
    case 431:
        vz_fail(err, 431, "headers_too_large", "", "the request head is larger than the %d bytes a connection "
                "may use", CONNECTION_MEMORY_BYTES);
        break;
    case 505: vz_fail(err, 505, "http_version_not_supported", "", "vizd speaks HTTP/1.0 and HTTP/1.1"); break;
    case 500: vz_fail(err, 500, "internal", "", "the request could not be processed"); break;
    default:
        vz_fail(err, (int)status, "bad_request", "", "the request is malformed (request line, a header, "
                "Content-Length or chunked encoding)");
        break;
    }
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *response)
{
    if (!real_queue_response) return MHD_NO;
    if (status < 400 || MHD_get_response_header(response, "Content-Security-Policy"))
        return real_queue_response(conn, status, response);
    vz_error err;
    describe_library_error(status, &err);
    struct MHD_Response *json = error_response(&err);
    if (!json) return real_queue_response(conn, status, response);
    enum MHD_Result ok = real_queue_response(conn, status, json);
    MHD_destroy_response(json);
    return ok;
}

void http_set_json(http_response *res, int status)
{
    res->status = status;
    res->content_type = "application/json";
}

int http_answer_json(http_response *res, json_t *value)
{
    /* Jansson answers NULL when it runs out of memory while building the tree: the body is then marked
     * failed, and dispatch turns that into the out-of-memory answer. */
    if (!value) {
        res->body.is_failed = true;
        return 0;
    }
    json_write(&res->body, value);
    buf_putc(&res->body, '\n');
    json_decref(value);
    http_set_json(res, 200);
    return 0;
}

/* ---- streaming answers -------------------------------------------------------------------------- */

typedef struct {
    http_stream stream;
    struct MHD_Connection *conn;
} stream_state;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream_state *st = cls;
    ssize_t n = st->stream.read(st->stream.ctx, (http_conn *)st->conn, buf, max);
    if (n == HTTP_STREAM_FAILED) return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
    return n;
}

static void stream_free(void *cls)
{
    stream_state *st = cls;
    if (st->stream.done) st->stream.done(st->stream.ctx);
    free(st);
}

static enum MHD_Result queue_stream(struct MHD_Connection *conn, http_response *res)
{
    /* A streamed answer's size is unknown when its head is sent, so it is compressed whatever its size. */
    bool is_varying = gzip_is_compressible(res->content_type), is_gzip = false;
    vz_error gzip_err;
    if (is_varying && accepts_gzip(conn)) is_gzip = gzip_stream(&res->stream, &gzip_err) == 0;
    stream_state *st = malloc(sizeof *st);
    if (!st) {
        if (res->stream.done) res->stream.done(res->stream.ctx);
        vz_error err;
        vz_out_of_memory(&err, "the answer");
        return queue_error(conn, &err, NULL, false);
    }
    st->stream = res->stream;
    st->conn = conn;
    size_t block_bytes = res->stream.block_bytes ? res->stream.block_bytes : 4096;
    struct MHD_Response *response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, block_bytes, stream_read,
                                                                      st, stream_free);
    if (!response) {
        stream_free(st);
        return MHD_NO;
    }
    MHD_add_response_header(response, "Content-Type", res->content_type);
    MHD_add_response_header(response, "Cache-Control", "no-store");
    if (is_varying) add_encoding_headers(response, NULL, is_gzip);
    add_common_headers(response);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, response);
    MHD_destroy_response(response);
    return ok;
}

/* ---- answers produced a piece at a time ------------------------------------------------------------ */

typedef struct {
    http_producer produce;
    void (*free_ctx)(void *ctx);
    void *ctx;
    vz_buf pending; /* produced, not yet taken by the client */
    size_t taken;
    bool is_done;
} produced_answer;

static ssize_t produced_read(void *arg, http_conn *conn, char *out, size_t max)
{
    (void)conn;
    produced_answer *a = arg;
    /* Pieces are gathered until they fill what the client may take at once: libmicrohttpd sends what one
     * call returns as a chunk of its own, so a piece per call (a run of /api/v1/runs is ~200 bytes) cost a
     * chunk header and a send() each. */
    if (a->taken == a->pending.len) {
        a->pending.len = a->taken = 0;
        while (!a->is_done && a->pending.len < max) {
            vz_error err;
            if (a->produce(a->ctx, &a->pending, &a->is_done, &err) < 0 ||
                buf_check(&a->pending, "the answer", &err) < 0)
                return HTTP_STREAM_FAILED; /* the status line is sent already */
        }
    }
    size_t n = a->pending.len - a->taken;
    if (n == 0) return HTTP_STREAM_END;
    if (n > max) n = max;
    memcpy(out, a->pending.data + a->taken, n);
    a->taken += n;
    return (ssize_t)n;
}

static void produced_free(void *arg)
{
    produced_answer *a = arg;
    a->free_ctx(a->ctx);
    buf_free(&a->pending);
    free(a);
}

int http_answer_produced(http_response *res, const char *content_type, http_producer produce,
                         void (*free_ctx)(void *ctx), void *ctx, size_t piece_limit, vz_error *err)
{
    produced_answer *a = calloc(1, sizeof *a);
    if (!a) {
        free_ctx(ctx);
        return vz_out_of_memory(err, "the answer");
    }
    *a = (produced_answer){.produce = produce, .free_ctx = free_ctx, .ctx = ctx};
    buf_init_limited(&a->pending, piece_limit);
    res->stream = (http_stream){.read = produced_read, .done = produced_free, .ctx = a, .block_bytes = 65536};
    res->status = 200;
    res->content_type = content_type;
    return 0;
}

void http_suspend(http_conn *conn) { MHD_suspend_connection((struct MHD_Connection *)conn); }

void http_resume(http_conn *conn) { MHD_resume_connection((struct MHD_Connection *)conn); }

bool http_peer_has_closed(http_conn *conn)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info((struct MHD_Connection *)conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!info) return false;
    char byte;
    ssize_t n = recv(info->connect_fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* ---- requests ----------------------------------------------------------------------------------- */

const char *http_query(const http_request *req, const char *key)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND, key);
}

int http_query_wall_time(const http_request *req, double fallback, double *out, vz_error *err)
{
    const char *text = http_query(req, "wall_time");
    *out = fallback;
    if (!text) return 0;
    char *end;
    double v = strtod(text, &end);
    if (*text == '\0' || *end != '\0' || !isfinite(v))
        return vz_fail(err, 400, "invalid_value", "wall_time", "expected seconds since the Unix epoch");
    *out = v;
    return 0;
}

int http_query_name(const http_request *req, const char *key, const char **out, vz_error *err)
{
    *out = http_query(req, key);
    if (!*out) return vz_fail(err, 400, "missing_field", key, "required");
    return name_check(*out, key, err);
}

const char *http_header(const http_request *req, const char *name)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)req->conn, MHD_HEADER_KIND, name);
}

int http_query_int64(const http_request *req, const char *key, int64_t fallback, int64_t *out, vz_error *err)
{
    const char *text = http_query(req, key);
    if (!text) {
        *out = fallback;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0')
        return vz_fail(err, 400, "invalid_value", key, "expected an integer in int64 range");
    *out = v;
    return 0;
}

typedef struct {
    const char *key;
    const char **values;
    size_t count, max;
} query_collector;

static enum MHD_Result collect_query_value(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    query_collector *c = cls;
    if (strcmp(key, c->key) != 0) return MHD_YES;
    if (c->count < c->max) c->values[c->count] = value ? value : "";
    c->count++;
    return MHD_YES;
}

int http_query_names(const http_request *req, const char *key, const char **values, size_t max, size_t *count,
                     vz_error *err)
{
    query_collector c = {key, values, 0, max};
    MHD_get_connection_values((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND, collect_query_value, &c);
    *count = c.count;
    if (c.count == 0) return vz_fail(err, 400, "missing_field", key, "at least one is required");
    /* Answering for the first max and dropping the rest would be a silent lie by omission. */
    if (c.count > max)
        return vz_fail(err, 400, "too_many_items", key, "at most %zu per request (%zu given); split the request", max,
                       c.count);
    for (size_t i = 0; i < c.count; i++)
        if (name_check(values[i], key, err) < 0) return -1;
    return 0;
}

typedef struct {
    const char *const *allowed;
    bool has_unknown;
    char unknown[64];
} key_checker;

static enum MHD_Result check_query_key(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    key_checker *c = cls;
    for (const char *const *a = c->allowed; *a; a++)
        if (strcmp(key, *a) == 0) return MHD_YES;
    c->has_unknown = true;
    snprintf(c->unknown, sizeof c->unknown, "%s", key);
    return MHD_NO;
}

static int check_query_keys(struct MHD_Connection *conn, const char *const *allowed, vz_error *err)
{
    key_checker c = {allowed, false, ""};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, check_query_key, &c);
    if (c.has_unknown) return vz_fail(err, 400, "invalid_value", c.unknown, "unknown query parameter");
    return 0;
}

/* ---- conditional requests ----------------------------------------------------------------------- */

/* If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x", and the header may list several. */
bool http_etag_matches(const char *if_none_match, const char *etag)
{
    if (!if_none_match) return false;
    size_t etag_len = strlen(etag);
    const char *p = if_none_match;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',') p++;
        if (*p == '*') return true;
        if (strncmp(p, "W/", 2) == 0) p += 2;
        const char *end = p;
        if (*end == '"') {
            end = strchr(end + 1, '"');
            if (!end) return false;
            end++;
        } else {
            while (*end && *end != ',') end++;
        }
        if ((size_t)(end - p) == etag_len && strncmp(p, etag, etag_len) == 0) return true;
        p = end;
    }
    return false;
}

/* ---- static files ------------------------------------------------------------------------------- */

static const char *content_type_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return "application/octet-stream";
    if (!strcmp(dot, ".html")) return "text/html; charset=utf-8";
    if (!strcmp(dot, ".js") || !strcmp(dot, ".mjs")) return "text/javascript; charset=utf-8";
    if (!strcmp(dot, ".css")) return "text/css; charset=utf-8";
    if (!strcmp(dot, ".svg")) return "image/svg+xml";
    if (!strcmp(dot, ".png")) return "image/png";
    if (!strcmp(dot, ".json")) return "application/json";
    return "application/octet-stream";
}

static const vz_asset *find_asset(const char *path)
{
    for (const vz_asset *a = vz_assets; a->url_path; a++)
        if (strcmp(a->url_path, path) == 0) return a;
    return NULL;
}

/* A URL path the dashboard may be served under: "/" and segments that are not empty, ".", ".." or any other
 * name starting with a dot (dotfiles, ".git"), nor "node_modules". So "//package.json", "/./x" and
 * "/a/../b" are refused outright rather than normalised: the dashboard never asks for them. */
static bool is_servable_path(const char *path)
{
    if (path[0] != '/') return false;
    for (const char *segment = path + 1;;) {
        size_t len = strcspn(segment, "/");
        if (len == 0 || segment[0] == '.' || (len == 12 && strncmp(segment, "node_modules", 12) == 0)) return false;
        if (segment[len] == '\0') return true;
        segment += len + 1;
    }
}

/* --web DIR serves the dashboard from disk for development; vendor files keep their embedded copies, and
 * what embed.py leaves out (packages, the vendor list) is not served from disk either. The file's real
 * path must lie inside DIR's real path: a symbolic link leading out of DIR is not followed. */
static int read_web_file(const char *dir, const char *path, vz_buf *out)
{
    if (strncmp(path, "/package", 8) == 0 || strcmp(path, "/vendor.txt") == 0) return -1;
    char full[4096], real_dir[PATH_MAX], real_file[PATH_MAX];
    if ((size_t)snprintf(full, sizeof full, "%s%s", dir, path) >= sizeof full) return -1;
    if (!realpath(dir, real_dir) || !realpath(full, real_file)) return -1;
    size_t dir_len = strlen(real_dir);
    if (strncmp(real_file, real_dir, dir_len) != 0 || real_file[dir_len] != '/') return -1;
    FILE *f = fopen(real_file, "rb");
    if (!f) return -1;
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return -1;
    }
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) buf_append(out, chunk, n);
    fclose(f);
    return 0;
}

static enum MHD_Result serve_static(struct MHD_Connection *conn, http_server *server, const char *path)
{
    if (strcmp(path, "/") == 0) path = "/index.html";
    http_response res = {.status = 200, .cache_control = "no-cache"};
    buf_init(&res.body);
    if (!is_servable_path(path)) {
        vz_error err;
        vz_fail(&err, 404, "not_found", "", "no such path: %s", path);
        return queue_error(conn, &err, NULL, false);
    }
    if (server->app->web_dir && read_web_file(server->app->web_dir, path, &res.body) == 0)
        return queue_buffer(conn, 200, content_type_for(path), &res.body, &res);
    const vz_asset *asset = find_asset(path);
    if (!asset) {
        vz_error err;
        vz_fail(&err, 404, "not_found", "", "no such path: %s", path);
        return queue_error(conn, &err, NULL, false);
    }
    /* The gzip form was made once, at build time (embed.py); each form has its own ETag. */
    bool is_gzip = asset->gz_data && accepts_gzip(conn);
    const char *etag = is_gzip ? asset->gz_etag : asset->etag;
    const char *if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    struct MHD_Response *response =
        http_etag_matches(if_none_match, etag)
            ? MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT)
            : MHD_create_response_from_buffer(is_gzip ? asset->gz_size : asset->size,
                                              (void *)(is_gzip ? asset->gz_data : asset->data), MHD_RESPMEM_PERSISTENT);
    if (!response) return MHD_NO;
    unsigned status = http_etag_matches(if_none_match, etag) ? 304 : 200;
    MHD_add_response_header(response, "Content-Type", asset->content_type);
    MHD_add_response_header(response, "ETag", etag);
    if (asset->gz_data) MHD_add_response_header(response, "Vary", "Accept-Encoding");
    if (is_gzip) MHD_add_response_header(response, "Content-Encoding", "gzip");
    MHD_add_response_header(response, "Cache-Control", "no-cache");
    add_common_headers(response);
    enum MHD_Result ok = MHD_queue_response(conn, status, response);
    MHD_destroy_response(response);
    return ok;
}

/* ---- the request's head: everything decided before a body byte is read ---------------------------- */

/* Equal strings, compared in time that depends neither on where they differ nor on the secret's content:
 * the loop walks the whole secret whatever was given, and the compiler may not stop it early. */
static bool equal_in_constant_time(const char *given, const char *secret)
{
    size_t given_len = strlen(given), secret_len = strlen(secret);
    volatile unsigned char diff = given_len != secret_len;
    for (size_t i = 0; i < secret_len; i++) diff |= (unsigned char)(secret[i] ^ (i < given_len ? given[i] : 0));
    return diff == 0;
}

/* With a token configured, every write (POST, DELETE) must carry it; reads stay open, as the dashboard
 * in a browser has no way to send it. */
static bool is_authorized(const vz_app *app, struct MHD_Connection *conn, const route *r)
{
    if (!app->token || strcmp(r->method, "GET") == 0) return true;
    const char *header = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) return false;
    return equal_in_constant_time(header + 7, app->token);
}

static bool is_api_path(const char *path)
{
    return strncmp(path, "/api/", 5) == 0 || strcmp(path, "/healthz") == 0;
}

/* A query value or key holding %00 would be cut short at the NUL by every C string API and name another
 * run or tag ("a%00b" would read as "a"): such a request is refused before any handler sees it. */
typedef struct {
    char key[64];
    bool has_nul;
} nul_finder;

static enum MHD_Result find_nul_in_query(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
                                         const char *value, size_t value_size)
{
    (void)kind;
    nul_finder *f = cls;
    if (strlen(key) == key_size && (!value || strlen(value) == value_size)) return MHD_YES;
    f->has_nul = true;
    snprintf(f->key, sizeof f->key, "%s", key);
    return MHD_NO;
}

/* Whether text[0..len) is an IPv4 address or a bracketed IPv6 address. */
static bool is_ip_literal(const char *text, size_t len)
{
    char copy[64];
    if (len == 0 || len >= sizeof copy) return false;
    unsigned char addr[16];
    if (text[0] == '[') {
        if (len < 3 || text[len - 1] != ']') return false;
        memcpy(copy, text + 1, len - 2);
        copy[len - 2] = '\0';
        return inet_pton(AF_INET6, copy, addr) == 1;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    return inet_pton(AF_INET, copy, addr) == 1;
}

/* DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 talks to vizd as its
 * own origin, but its requests still say "Host: evil.example". So the Host header must be an address
 * (an attacker's page cannot make a browser send another site's IP address: its own name is what the
 * browser puts there), localhost, the --host value, or a name allowed with --allow-host. The port is not
 * checked: it protects nothing here, and a forwarded port (ssh -L 8080:localhost:6006) must still work. */
static bool is_allowed_host(const http_server *server, const char *host)
{
    if (!host) return true; /* HTTP/1.0 without Host: not a browser, so not a rebinding page */
    size_t len = strlen(host);
    const char *colon = strrchr(host, ':');
    if (colon && !strchr(colon, ']')) { /* drop ":port", but not a colon inside [v6] */
        for (const char *p = colon + 1; *p; p++)
            if (*p < '0' || *p > '9') return false;
        len = (size_t)(colon - host);
    }
    if (is_ip_literal(host, len)) return true;
    if (len == 9 && strncasecmp(host, "localhost", 9) == 0) return true;
    const char *listen_host = server->options.host;
    if (strlen(listen_host) == len && strncasecmp(host, listen_host, len) == 0) return true;
    for (size_t i = 0; i < server->options.allowed_host_count; i++) {
        const char *name = server->options.allowed_hosts[i];
        if (strlen(name) == len && strncasecmp(host, name, len) == 0) return true;
    }
    return false;
}

/* Cross-site writes: a page elsewhere can make the browser POST to 127.0.0.1 (a form, or fetch in no-cors
 * mode) but cannot hide where it comes from: the browser adds its Origin. A write whose Origin is present
 * and is not this dashboard's own (the Host it was sent to, over http, or https behind a TLS proxy) is
 * refused. Clients that are not browsers send no Origin and are not affected. */
static bool is_same_origin(const char *origin, const char *host)
{
    if (!origin) return true;
    if (!host) return false;
    const char *rest = strncmp(origin, "http://", 7) == 0 ? origin + 7 : strncmp(origin, "https://", 8) == 0 ? origin + 8 : NULL;
    return rest && strcasecmp(rest, host) == 0;
}

/* Whether a Content-Type header names this media type (parameters such as "; charset=utf-8" allowed). */
static bool has_media_type(const char *content_type, const char *type)
{
    size_t n = strlen(type);
    while (*content_type == ' ') content_type++;
    return strncasecmp(content_type, type, n) == 0 &&
           (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

/* The content types an HTML form (or a no-cors fetch) can send without a CORS preflight. A JSON write must
 * say application/json; a raw upload may say anything else (images are recognised by their bytes), but
 * not these, so no "simple request" from another page reaches a write. */
static int check_content_type(const route *r, const char *content_type, vz_error *err)
{
    if (r->body == BODY_JSON && !(content_type && has_media_type(content_type, "application/json")))
        return vz_fail(err, 415, "unsupported_media_type", "Content-Type", "send the body as application/json");
    static const char *const form_types[] = {"text/plain", "application/x-www-form-urlencoded",
                                             "multipart/form-data"};
    if (r->body == BODY_RAW && content_type)
        for (size_t i = 0; i < sizeof form_types / sizeof *form_types; i++)
            if (has_media_type(content_type, form_types[i]))
                return vz_fail(err, 415, "unsupported_media_type", "Content-Type",
                               "%s is what web forms send; send application/octet-stream (or the image's type)",
                               form_types[i]);
    return 0;
}

/* The route for method and path, or NULL; allow collects the methods the path does take. */
static const route *find_route(const char *method, const char *path, char *allow, size_t allow_size)
{
    /* HEAD is GET without the body, which libmicrohttpd leaves out by itself. */
    if (strcmp(method, "HEAD") == 0) method = "GET";
    const route *match = NULL;
    allow[0] = '\0';
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        const char *route_path = routes[i].path;
        size_t route_len = strlen(route_path);
        bool is_prefix = route_path[route_len - 1] == '/';
        if (is_prefix ? strncmp(route_path, path, route_len) != 0 : strcmp(route_path, path) != 0) continue;
        if (strcmp(routes[i].method, method) == 0) match = &routes[i];
        size_t used = strlen(allow);
        snprintf(allow + used, allow_size - used, "%s%s", used ? ", " : "", routes[i].method);
    }
    return match;
}

/* The declared body length, or -1 when none is declared or it is not a number. */
static long long declared_length(struct MHD_Connection *conn)
{
    const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!length) return -1;
    errno = 0;
    char *end;
    unsigned long long n = strtoull(length, &end, 10);
    if (errno != 0 || end == length || n > (unsigned long long)LLONG_MAX) return LLONG_MAX;
    return (long long)n;
}

/* Judge the request line and headers. Returns 0 with state->route set (NULL: a static file), or -1 with
 * state->refusal filled: the answer, to be sent without reading a byte of the body. */
static int check_head(http_server *server, struct MHD_Connection *conn, request_state *state)
{
    vz_error *err = &state->refusal;
    const http_request *req = &state->req;
    if (state->uri_bytes > MAX_URI_BYTES || state->query_params > MAX_QUERY_PARAMS)
        return vz_fail(err, 414, "uri_too_long", "", "the URL has %zu bytes and %zu query parameters; the limits "
                       "are %d and %d", state->uri_bytes, state->query_params, MAX_URI_BYTES, MAX_QUERY_PARAMS);
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
    if (!is_allowed_host(server, host))
        return vz_fail(err, 421, "misdirected_request", "Host", "this vizd does not answer to that name; start it "
                       "with --allow-host NAME to allow one");
    nul_finder nul = {.has_nul = false};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, find_nul_in_query, &nul);
    if (nul.has_nul) return vz_fail(err, 400, "invalid_value", nul.key, "contains a NUL character");
    const route *r = find_route(req->method, req->path, state->allow, sizeof state->allow);
    if (!r) {
        bool is_read = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
        if (!is_api_path(req->path) && is_read) return 0; /* a dashboard file */
        if (state->allow[0] || !is_api_path(req->path)) {
            if (!state->allow[0]) snprintf(state->allow, sizeof state->allow, "GET");
            return vz_fail(err, 405, "method_not_allowed", "", "%s is not allowed here; allowed: %s", req->method,
                           state->allow);
        }
        state->allow[0] = '\0';
        return vz_fail(err, 404, "not_found", "", "no such path: %s", req->path);
    }
    state->allow[0] = '\0';
    if (!is_authorized(server->app, conn, r)) {
        state->wants_token = true;
        return vz_fail(err, 401, "unauthorized", "", "this vizd needs \"Authorization: Bearer TOKEN\" to write");
    }
    if (strcmp(r->method, "GET") != 0) {
        if (!is_same_origin(MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin"), host))
            return vz_fail(err, 403, "forbidden", "Origin", "writes from another site's page are refused");
        if (check_content_type(r, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"), err) < 0)
            return -1;
    }
    if (check_query_keys(conn, r->query_keys, err) < 0) return -1;
    long long length = declared_length(conn);
    if (length > 0 && (unsigned long long)length > server->options.max_body_bytes)
        return vz_fail(err, 413, "body_too_large", "", "the body is larger than the limit of %zu bytes",
                       server->options.max_body_bytes);
    state->route = r;
    return 0;
}

/* ---- requests, from the first callback to the answer -------------------------------------------- */

static enum MHD_Result queue_refusal(struct MHD_Connection *conn, request_state *state)
{
    return queue_error(conn, &state->refusal, state->allow[0] ? state->allow : NULL, state->wants_token);
}

/* Keep the outcome of a handler in state for the libmicrohttpd thread to send. */
static void keep_outcome(request_state *state, int rc)
{
    /* A body that did not fit its limit or memory is incomplete: answer the error instead (buf.h). */
    state->handler_rc = rc < 0 || buf_check(&state->res.body, "the answer", &state->err) < 0 ? -1 : 0;
    if (state->handler_rc < 0) buf_free(&state->res.body);
    state->is_handled = true;
}

/* What a handler's request points to, on run_handler's stack: whether the handler deferred its answer must
 * be told apart from state, which a deferred answer may free (on another thread) before the handler has
 * even returned. */
typedef struct {
    request_state *state;
    bool is_suspended; /* run on a worker: dispatch suspended the connection already */
    bool is_deferred;
} handler_call;

/* Run the route's handler: the answer, or the error, is left in state. Returns true when the handler
 * deferred its answer instead (http_defer): state is then no longer the caller's to touch. */
static bool run_handler(http_server *server, request_state *state, bool is_suspended)
{
    handler_call call = {state, is_suspended, false};
    http_request req = state->req;
    req.body = state->body.data ? state->body.data : "";
    req.body_len = state->body.len;
    req.state = &call;
    state->res = (http_response){.status = 200, .content_type = "application/json"};
    buf_init(&state->res.body);
    int rc = state->route->handler(server->app, &req, &state->res, &state->err);
    if (call.is_deferred) return true;
    keep_outcome(state, rc);
    return false;
}

http_deferred *http_defer(const http_request *req)
{
    handler_call *call = req->state;
    call->is_deferred = true;
    request_state *state = call->state;
    atomic_fetch_add(&state->server->deferred_answers, 1);
    if (!call->is_suspended) MHD_suspend_connection((struct MHD_Connection *)req->conn);
    return (http_deferred *)state;
}

/* Wake the connection, whose next callback sends the answer (libmicrohttpd's lock orders what this thread
 * left in state before that callback reads it). */
void http_deferred_done(http_deferred *deferred, int rc)
{
    request_state *state = (request_state *)deferred;
    http_server *server = state->server; /* state may be freed as soon as the connection is resumed */
    keep_outcome(state, rc);
    MHD_resume_connection((struct MHD_Connection *)state->req.conn);
    atomic_fetch_sub(&server->deferred_answers, 1);
}

static enum MHD_Result queue_handled(struct MHD_Connection *conn, request_state *state)
{
    if (state->handler_rc < 0) return queue_error(conn, &state->err, NULL, false);
    if (state->res.stream.read) return queue_stream(conn, &state->res);
    return queue_buffer(conn, state->res.status, state->res.content_type, &state->res.body, &state->res);
}

/* On a worker: run the handler, then wake the connection, whose next callback sends the answer (or, when
 * the handler deferred it, leave that to whoever finishes it). */
static void run_handler_job(void *arg)
{
    request_state *state = arg;
    struct MHD_Connection *conn = (struct MHD_Connection *)state->req.conn;
    if (!run_handler(state->server, state, true)) MHD_resume_connection(conn);
}

static enum MHD_Result dispatch(struct MHD_Connection *conn, http_server *server, request_state *state)
{
    if (state->is_handled) return queue_handled(conn, state);
    if (state->is_refused) return queue_refusal(conn, state);
    if (!state->route) return serve_static(conn, server, state->req.path);
    vz_error err;
    if (state->is_too_large) {
        vz_fail(&err, 413, "body_too_large", "", "the body is larger than the limit of %zu bytes",
                server->options.max_body_bytes);
        return queue_error(conn, &err, NULL, false);
    }
    /* Out of memory while the body arrived: it is incomplete, and the handler must not see it. */
    if (buf_check(&state->body, "the request body", &err) < 0) return queue_error(conn, &err, NULL, false);
    /* A handler runs on a worker while its connection is suspended: parsing a large body, waiting for a
     * group commit or a long read must not hold a libmicrohttpd thread, which also answers every other
     * connection it holds (a /healthz among them). Two requests are handled in place instead, where the
     * hand-off would cost more than the work: /healthz, and a small body whose handler never waits (a
     * write, which defers its answer to the group commit; a hand-off capped one-point writes at a few
     * thousand per second). */
    state->server = server;
    bool is_in_place = state->route->body == BODY_NONE
                           ? is_instant_read(state->route)
                           : is_quick_route(state->route) && state->body.len <= QUICK_BODY_BYTES;
    if (!is_in_place) {
        workers *pool = state->route->body == BODY_NONE           ? server->reads
                        : state->body.len <= SMALL_BODY_BYTES ? server->small_bodies
                                                              : server->large_bodies;
        MHD_suspend_connection(conn);
        if (workers_submit(pool, run_handler_job, state) == 0) return MHD_YES;
        MHD_resume_connection(conn);
        vz_out_of_memory(&err, "the request");
        return queue_error(conn, &err, NULL, false);
    }
    if (run_handler(server, state, false)) return MHD_YES; /* suspended until http_deferred_done */
    return queue_handled(conn, state);
}

/* The head deadline of a connection (on_connection made it), or NULL when it is not watched. */
static deadline_entry *connection_deadline(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info ? info->socket_context : NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    http_server *server = cls;
    if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        deadline_remove(server->deadlines, *socket_context); /* libmicrohttpd closes the socket after this */
        *socket_context = NULL;
        return;
    }
    const union MHD_ConnectionInfo *info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context = info ? deadline_add(server->deadlines, info->connect_fd) : NULL;
}

static request_state *new_request_state(http_server *server)
{
    request_state *state = calloc(1, sizeof *state);
    if (!state) return NULL;
    buf_init_limited(&state->body, server->options.max_body_bytes);
    return state;
}

/* libmicrohttpd calls this with the raw URL before it parses the query, so a URL over the limits is seen
 * whole here and refused in check_head. The state made here is the request's from then on.
 *
 * Such a query is also emptied before libmicrohttpd parses it: its parser (0.9.75) needs one record of
 * per-connection memory per parameter, and when they run out in the request line it queues its own HTML
 * 431 in the middle of parsing and the connection is then never answered (held until the idle timeout).
 * The URL is its read buffer, which it hands us as const but writes itself; ending the query right after
 * its '?' makes it parse nothing. The refusal below quotes the counts taken before. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)conn;
    request_state *state = new_request_state(cls);
    if (!state) return NULL;
    state->uri_bytes = strlen(uri);
    char *query = strchr(uri, '?');
    for (const char *p = query; p; p = strchr(p + 1, '&')) state->query_params++;
    if (query && (state->uri_bytes > MAX_URI_BYTES || state->query_params > MAX_QUERY_PARAMS)) query[1] = '\0';
    return state;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_server *server = cls;
    request_state *state = *con_cls;
    if (!state) {
        state = new_request_state(server);
        if (!state) return MHD_NO;
        *con_cls = state;
    }
    if (!state->has_head) {
        /* The headers are complete and no body byte has been read: refuse now what will be refused anyway,
         * and reserve nothing for the body (it grows as its bytes arrive, up to --max-body). */
        state->has_head = true;
        deadline_head_done(server->deadlines, connection_deadline(conn));
        atomic_fetch_add(&server->active_requests, 1); /* a half-sent head does not hold up a shutdown */
        state->req = (http_request){.conn = (http_conn *)conn, .method = method, .path = url};
        state->is_refused = check_head(server, conn, state) < 0;
        bool has_body = declared_length(conn) > 0 ||
                        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Transfer-Encoding");
        /* Without a body, the answer waits for the next call, which keeps the connection open for more. */
        if (state->is_refused && has_body) return queue_refusal(conn, state);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!state->is_too_large && state->body.len + *upload_data_size <= server->options.max_body_bytes)
            buf_append(&state->body, upload_data, *upload_data_size);
        else {
            state->is_too_large = true;
            buf_free(&state->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    return dispatch(conn, server, state);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    http_server *server = cls;
    request_state *state = *con_cls;
    if (!state) return;
    if (state->has_head) {
        atomic_fetch_sub(&server->active_requests, 1);
        deadline_restart(server->deadlines, connection_deadline(conn)); /* the clock of the next request */
    }
    bool was_large = state->body.cap > SMALL_BODY_BYTES;
    buf_free(&state->body);
    buf_free(&state->res.body);
    free(state);
    *con_cls = NULL;
    /* A large body, its parsed tree and the write built from it (tens of MB) were freed in many pieces,
     * on several threads' malloc arenas, which glibc keeps for reuse: the daemon's memory stayed near its
     * peak (6 MB -> 350 MB after one 19 MB write). Hand the free pages back; this costs a few ms, so only
     * after large bodies. */
    if (was_large) malloc_trim(0);
}

static int parse_address(const char *host, int port, struct sockaddr_in *addr, vz_error *err)
{
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    if (strcmp(host, "localhost") == 0) host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &addr->sin_addr) != 1)
        return vz_fail(err, 500, "internal", "", "--host %s: not an IPv4 address", host);
    return 0;
}

int http_start(http_server **out, vz_app *app, const http_options *options, vz_error *err)
{
    if (!real_queue_response) real_queue_response = (queue_response_fn)dlsym(RTLD_NEXT, "MHD_queue_response");
    if (!real_queue_response) return vz_fail(err, 500, "internal", "", "libmicrohttpd's MHD_queue_response not found");
    struct sockaddr_in addr;
    if (parse_address(options->host, options->port, &addr, err) < 0) return -1;
    http_server *server = calloc(1, sizeof *server);
    if (!server) return vz_fail(err, 500, "internal", "", "out of memory");
    server->app = app;
    server->options = *options;
    server->deadlines = deadline_start(HEAD_DEADLINE_S);
    if (!server->deadlines) {
        free(server);
        return vz_fail(err, 500, "internal", "", "cannot start the head-deadline thread");
    }
    if (workers_start(&server->reads, READ_WORKERS, err) < 0 ||
        workers_start(&server->small_bodies, SMALL_BODY_WORKERS, err) < 0 ||
        workers_start(&server->large_bodies, LARGE_BODY_WORKERS, err) < 0) {
        workers_stop(server->reads);
        workers_stop(server->small_bodies);
        deadline_stop(server->deadlines);
        free(server);
        return -1;
    }
    /* poll, not epoll: libmicrohttpd 0.9.75's epoll mode is edge-triggered and stops reading a socket after
     * a short read, so a client that sends half a request and closes is not noticed until the idle
     * timeout (2,600 such connections held every slot for 120 s). poll is level-triggered and sees the
     * close at once; each pool thread polls only its share of the connections. */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME;
    /* Connections are capped overall and per client address, event streams included, so that one client
     * cannot hold every slot; libmicrohttpd closes a connection over either cap at once. */
    server->daemon = MHD_start_daemon(flags, (uint16_t)options->port, NULL, NULL, on_request, server,
                                      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)options->threads,
                                      MHD_OPTION_URI_LOG_CALLBACK, on_uri, server,
                                      MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
                                      MHD_OPTION_NOTIFY_CONNECTION, on_connection, server,
                                      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
                                      MHD_OPTION_CONNECTION_LIMIT, options->max_connections,
                                      MHD_OPTION_PER_IP_CONNECTION_LIMIT, options->max_connections_per_ip,
                                      MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY_BYTES,
                                      MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)LISTEN_BACKLOG,
                                      MHD_OPTION_END);
    if (!server->daemon) {
        deadline_stop(server->deadlines);
        workers_stop(server->reads);
        workers_stop(server->small_bodies);
        workers_stop(server->large_bodies);
        free(server);
        return vz_fail(err, 500, "internal", "", "cannot listen on %s:%d (is the port in use?)", options->host,
                       options->port);
    }
    *out = server;
    return 0;
}

/* Stop accepting, then give the requests in progress up to STOP_GRACE_MS to be answered: a write that
 * was committed must not lose its answer to the shutdown (the client would retry it needlessly). Only
 * then close every connection. */
#define STOP_GRACE_MS 10000

void http_stop(http_server *server)
{
    if (!server) return;
    MHD_socket listener = MHD_quiesce_daemon(server->daemon);
    for (int waited_ms = 0; atomic_load(&server->active_requests) > 0 && waited_ms < STOP_GRACE_MS; waited_ms += 10)
        usleep(10 * 1000);
    /* A handler still running on a worker resumes its connection when done: it must be done before the
     * daemon (and the connection) is gone. */
    workers_stop(server->reads);
    workers_stop(server->small_bodies);
    workers_stop(server->large_bodies);
    /* So must every deferred answer (the store, still open, finishes the writes they wait for). */
    while (atomic_load(&server->deferred_answers) > 0) usleep(1000);
    MHD_stop_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener); /* only after MHD_stop_daemon, as its manual says */
    deadline_stop(server->deadlines); /* every connection is closed: no entry is left */
    free(server);
}
