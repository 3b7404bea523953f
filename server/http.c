/* http.c -- libmicrohttpd glue: the listener, the routing table, static assets and JSON error answers.
 *
 * libmicrohttpd runs an epoll loop in a small pool of threads. A request's body is collected in full
 * (refused with 413 as soon as it passes --max-body, from Content-Length when the client sends one), then
 * the route's handler runs. Handlers fill an http_response or return a vz_error; this file is the one
 * place an error becomes an answer, always {"error": {status, code, message, path}} and never an HTML
 * page. Writes block their pool thread until the group commit that holds them is done; streams (SSE)
 * suspend their connection instead, so they hold no thread. */
#include "vizd/http.h"

#include <arpa/inet.h>
#include <stdatomic.h>
#include <unistd.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "vizd/api.h"
#include "vizd/app.h"
#include "vizd/assets.h"
#include "vizd/json.h"

struct http_server {
    struct MHD_Daemon *daemon;
    vz_app *app;
    size_t max_body_bytes;
    atomic_int active_requests; /* from a request's first callback to its completion */
};

/* Per-request state, from the first callback to the completion callback. */
typedef struct {
    http_request req;
    vz_buf body;
    bool is_too_large;
} request_state;

typedef struct {
    const char *method;
    const char *path;
    http_handler handler;
} route;

static const route routes[] = {
    {"POST", "/api/v1/write", api_write},
    {"GET", "/api/v1/runs", api_runs_list},
    {"DELETE", "/api/v1/runs", api_runs_delete},
    {"GET", "/api/v1/tags", api_tags},
    {"GET", "/api/v1/scalars", api_scalars},
    {"POST", "/api/v1/histograms", api_histograms_upload},
    {"GET", "/api/v1/histograms", api_histograms},
    {"GET", "/api/v1/distributions", api_distributions},
    {"POST", "/api/v1/images", api_images_upload},
    {"GET", "/api/v1/images", api_images},
    {"POST", "/api/v1/tensors", api_tensors_upload},
    {"GET", "/api/v1/tensors", api_tensors},
    {"GET", "/api/v1/texts", api_texts},
    {"GET", "/api/v1/blobs/", api_blob}, /* a prefix: /api/v1/blobs/ID */
    {"GET", "/api/v1/graph", api_graph},
    {"GET", "/api/v1/graph/summary", api_graph_summary},
    {"GET", "/api/v1/events", api_events},
    {"GET", "/api/v1/status", api_status},
    {"GET", "/healthz", api_healthz},
};

/* ---- answers ------------------------------------------------------------------------------------ */

static void add_common_headers(struct MHD_Response *response)
{
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
}

static enum MHD_Result queue_buffer(struct MHD_Connection *conn, int status, const char *content_type,
                                    vz_buf *body, const http_response *res)
{
    size_t len;
    char *data = buf_release(body, &len);
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, data ? data : (char *)"", data ? MHD_RESPMEM_MUST_FREE
                                                                            : MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", content_type);
    add_common_headers(response);
    if (res && res->etag[0]) MHD_add_response_header(response, "ETag", res->etag);
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

static enum MHD_Result queue_error(struct MHD_Connection *conn, const vz_error *err, const char *allow,
                                   bool wants_token)
{
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
    MHD_add_response_header(response, "Content-Type", "application/json");
    MHD_add_response_header(response, "Cache-Control", "no-store");
    add_common_headers(response);
    if (allow) MHD_add_response_header(response, "Allow", allow);
    if (wants_token) MHD_add_response_header(response, "WWW-Authenticate", "Bearer");
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)err->status, response);
    MHD_destroy_response(response);
    return ok;
}

void http_set_json(http_response *res, int status)
{
    res->status = status;
    res->content_type = "application/json";
}

int http_answer_json(http_response *res, json_t *value)
{
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
    if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
    return n;
}

static void stream_free(void *cls)
{
    stream_state *st = cls;
    if (st->stream.done) st->stream.done(st->stream.ctx);
    free(st);
}

static enum MHD_Result queue_stream(struct MHD_Connection *conn, const http_response *res)
{
    stream_state *st = malloc(sizeof *st);
    if (!st) abort();
    st->stream = res->stream;
    st->conn = conn;
    struct MHD_Response *response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, st,
                                                                      stream_free);
    MHD_add_response_header(response, "Content-Type", res->content_type);
    MHD_add_response_header(response, "Cache-Control", "no-store");
    add_common_headers(response);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)res->status, response);
    MHD_destroy_response(response);
    return ok;
}

void http_suspend(http_conn *conn) { MHD_suspend_connection((struct MHD_Connection *)conn); }

void http_resume(http_conn *conn) { MHD_resume_connection((struct MHD_Connection *)conn); }

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
    if (strcmp(key, c->key) == 0 && c->count < c->max) c->values[c->count++] = value ? value : "";
    return MHD_YES;
}

int http_query_names(const http_request *req, const char *key, const char **values, size_t max, size_t *count,
                     vz_error *err)
{
    query_collector c = {key, values, 0, max};
    MHD_get_connection_values((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND, collect_query_value, &c);
    *count = c.count;
    if (c.count == 0) return vz_fail(err, 400, "missing_field", key, "at least one is required");
    for (size_t i = 0; i < c.count; i++)
        if (name_check(values[i], key, err) < 0) return -1;
    return 0;
}

typedef struct {
    const char *const *allowed;
    char unknown[64];
} key_checker;

static enum MHD_Result check_query_key(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
    (void)kind;
    (void)value;
    key_checker *c = cls;
    for (const char *const *a = c->allowed; *a; a++)
        if (strcmp(key, *a) == 0) return MHD_YES;
    snprintf(c->unknown, sizeof c->unknown, "%s", key);
    return MHD_NO;
}

int http_check_query_keys(const http_request *req, const char *const *allowed, vz_error *err)
{
    key_checker c = {allowed, ""};
    MHD_get_connection_values((struct MHD_Connection *)req->conn, MHD_GET_ARGUMENT_KIND, check_query_key, &c);
    if (c.unknown[0]) return vz_fail(err, 400, "invalid_value", c.unknown, "unknown query parameter");
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

/* --web DIR serves the dashboard from disk for development; vendor files keep their embedded copies, and
 * what embed.py leaves out (packages, the vendor list) is not served from disk either. */
static bool is_development_only(const char *path)
{
    return strstr(path, "..") || strncmp(path, "/node_modules/", 14) == 0 || strncmp(path, "/package", 8) == 0 ||
           strcmp(path, "/vendor.txt") == 0;
}

static int read_web_file(const char *dir, const char *path, vz_buf *out)
{
    if (is_development_only(path)) return -1;
    char full[4096];
    snprintf(full, sizeof full, "%s%s", dir, path);
    FILE *f = fopen(full, "rb");
    if (!f) return -1;
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
    if (server->app->web_dir && read_web_file(server->app->web_dir, path, &res.body) == 0)
        return queue_buffer(conn, 200, content_type_for(path), &res.body, &res);
    const vz_asset *asset = find_asset(path);
    if (!asset) {
        vz_error err;
        vz_fail(&err, 404, "not_found", "", "no such path: %s", path);
        return queue_error(conn, &err, NULL, false);
    }
    snprintf(res.etag, sizeof res.etag, "%s", asset->etag);
    const char *if_none_match = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "If-None-Match");
    if (http_etag_matches(if_none_match, asset->etag))
        return queue_buffer(conn, 304, asset->content_type, &res.body, &res);
    struct MHD_Response *response = MHD_create_response_from_buffer(asset->size, (void *)asset->data,
                                                                    MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, "Content-Type", asset->content_type);
    MHD_add_response_header(response, "ETag", asset->etag);
    MHD_add_response_header(response, "Cache-Control", "no-cache");
    add_common_headers(response);
    enum MHD_Result ok = MHD_queue_response(conn, 200, response);
    MHD_destroy_response(response);
    return ok;
}

/* ---- routing ------------------------------------------------------------------------------------ */

/* Equal strings, compared in time that does not depend on where they differ (the token is a secret). */
static bool equal_in_constant_time(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;
    for (size_t i = 0; i < la; i++) diff |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
    return diff == 0;
}

/* With a token configured, every write (POST, DELETE) must carry it; reads stay open, as the dashboard
 * in a browser has no way to send it. */
static bool is_authorized(const vz_app *app, const http_request *req, const char *method)
{
    if (!app->token || strcmp(method, "GET") == 0) return true;
    const char *header = http_header(req, "Authorization");
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

static enum MHD_Result dispatch(struct MHD_Connection *conn, http_server *server, request_state *state)
{
    http_request *req = &state->req;
    vz_error err;
    nul_finder nul = {.has_nul = false};
    MHD_get_connection_values_n(conn, MHD_GET_ARGUMENT_KIND, find_nul_in_query, &nul);
    if (nul.has_nul) {
        vz_fail(&err, 400, "invalid_value", nul.key, "contains a NUL character");
        return queue_error(conn, &err, NULL, false);
    }
    /* HEAD is GET without the body, which libmicrohttpd leaves out by itself. */
    const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
    char allow[64] = "";
    const route *match = NULL;
    for (size_t i = 0; i < sizeof routes / sizeof *routes; i++) {
        const char *route_path = routes[i].path;
        size_t route_len = strlen(route_path);
        bool is_prefix = route_path[route_len - 1] == '/';
        if (is_prefix ? strncmp(route_path, req->path, route_len) != 0 : strcmp(route_path, req->path) != 0) continue;
        if (strcmp(routes[i].method, method) == 0) match = &routes[i];
        snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s", allow[0] ? ", " : "",
                 routes[i].method);
    }
    if (!match) {
        if (!is_api_path(req->path) && (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD")))
            return serve_static(conn, server, req->path);
        if (allow[0] || !is_api_path(req->path)) {
            if (!allow[0]) snprintf(allow, sizeof allow, "GET");
            vz_fail(&err, 405, "method_not_allowed", "", "%s is not allowed here; allowed: %s", req->method, allow);
            return queue_error(conn, &err, allow, false);
        }
        vz_fail(&err, 404, "not_found", "", "no such path: %s", req->path);
        return queue_error(conn, &err, NULL, false);
    }
    if (!is_authorized(server->app, req, match->method)) {
        vz_fail(&err, 401, "unauthorized", "", "this vizd needs \"Authorization: Bearer TOKEN\" to write");
        return queue_error(conn, &err, NULL, true);
    }
    if (state->is_too_large) {
        vz_fail(&err, 413, "body_too_large", "", "the body is larger than the limit of %zu bytes",
                server->max_body_bytes);
        return queue_error(conn, &err, NULL, false);
    }
    req->body = state->body.data ? state->body.data : "";
    req->body_len = state->body.len;
    http_response res = {.status = 200, .content_type = "application/json"};
    buf_init(&res.body);
    if (match->handler(server->app, req, &res, &err) < 0) {
        buf_free(&res.body);
        return queue_error(conn, &err, NULL, false);
    }
    if (res.stream.read) return queue_stream(conn, &res);
    return queue_buffer(conn, res.status, res.content_type, &res.body, &res);
}

/* The declared body length (0 when none or unreadable, as for chunked bodies); *exceeds when over limit. */
static size_t declared_length(struct MHD_Connection *conn, size_t limit, bool *exceeds)
{
    const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    *exceeds = false;
    if (!length) return 0;
    errno = 0;
    unsigned long long n = strtoull(length, NULL, 10);
    *exceeds = errno != 0 || n > limit;
    return *exceeds ? 0 : (size_t)n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    http_server *server = cls;
    request_state *state = *con_cls;
    if (!state) {
        state = calloc(1, sizeof *state);
        if (!state) return MHD_NO;
        state->req = (http_request){.conn = (http_conn *)conn, .method = method, .path = url};
        buf_init(&state->body);
        *con_cls = state;
        atomic_fetch_add(&server->active_requests, 1);
        bool exceeds;
        size_t length = declared_length(conn, server->max_body_bytes, &exceeds);
        if (length) buf_reserve(&state->body, length); /* one allocation, no copies as the body grows */
        if (exceeds) {
            /* Answer now: reading a body we will refuse anyway only wastes time. */
            vz_error err;
            vz_fail(&err, 413, "body_too_large", "", "the body is larger than the limit of %zu bytes",
                    server->max_body_bytes);
            return queue_error(conn, &err, NULL, false);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (!state->is_too_large && state->body.len + *upload_data_size <= server->max_body_bytes)
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
    (void)conn;
    (void)toe;
    http_server *server = cls;
    request_state *state = *con_cls;
    if (!state) return;
    atomic_fetch_sub(&server->active_requests, 1);
    buf_free(&state->body);
    free(state);
    *con_cls = NULL;
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
    struct sockaddr_in addr;
    if (parse_address(options->host, options->port, &addr, err) < 0) return -1;
    http_server *server = calloc(1, sizeof *server);
    if (!server) return vz_fail(err, 500, "internal", "", "out of memory");
    server->app = app;
    server->max_body_bytes = options->max_body_bytes;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
    server->daemon = MHD_start_daemon(flags, (uint16_t)options->port, NULL, NULL, on_request, server,
                                      MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                      MHD_OPTION_THREAD_POOL_SIZE, (unsigned)options->threads,
                                      MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
                                      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                      MHD_OPTION_END);
    if (!server->daemon) {
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
    MHD_stop_daemon(server->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener); /* only after MHD_stop_daemon, as its manual says */
    free(server);
}
