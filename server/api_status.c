/* api_status.c -- GET /healthz, GET /api/v1/status and GET /api/v1/events (the live stream). */
#include "vizd/api.h"
#include "vizd/clock.h"
#include "vizd/json.h"

int api_healthz(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    (void)app;
    (void)req;
    (void)err;
    buf_puts(&res->body, "ok\n");
    res->status = 200;
    res->content_type = "text/plain; charset=utf-8";
    return 0;
}

int api_status(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    (void)req;
    store_status_info info;
    if (store_status(app->store, &info, err) < 0) return -1;
    json_t *status = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "db_path",
                               info.db_path, "db_bytes", (json_int_t)info.db_bytes, "runs", (json_int_t)info.runs,
                               "series", (json_int_t)info.series, "scalar_points", (json_int_t)info.scalar_points,
                               "scalar_blocks", (json_int_t)info.scalar_blocks, "histogram_steps",
                               (json_int_t)info.histogram_steps, "images", (json_int_t)info.images, "tensors",
                               (json_int_t)info.tensors, "texts", (json_int_t)info.texts, "graphs",
                               (json_int_t)info.graphs, "blobs", (json_int_t)info.blobs);
    if (status) {
        json_object_set_new(status, "version", json_string(VIZD_VERSION));
        json_object_set_new(status, "uptime_s", json_real(clock_now_s() - app->started_at_s));
    }
    return http_answer_json(res, status);
}

int api_events(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    (void)req;
    return events_open_stream(app->events, res, err);
}
