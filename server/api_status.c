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
    json_t *status;
    if (store_status(app->store, &status, err) < 0) return -1;
    json_object_set_new(status, "version", json_string(VIZD_VERSION));
    json_object_set_new(status, "uptime_s", json_real(clock_now_s() - app->started_at_s));
    return http_answer_json(res, status);
}

int api_events(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    (void)req;
    return events_open_stream(app->events, res, err);
}
