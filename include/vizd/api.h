/* api.h -- the HTTP API handlers, one file per kind of data (api_write.c, api_runs.c, api_scalars.c,
 * api_status.c), routed by the table in http.c. Each validates its input fully before touching the store,
 * so a refused request stores nothing. */
#ifndef VIZD_API_H
#define VIZD_API_H

#include "vizd/app.h"
#include "vizd/http.h"
#include "vizd/write.h"

int api_write(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_runs_list(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_runs_delete(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_tags(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_hparams(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_scalars(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_events(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_healthz(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_status(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_histograms_upload(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_histograms(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_distributions(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_images_upload(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_tensors_upload(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_images(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_tensors(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_texts(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_blob(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_graph(vz_app *app, const http_request *req, http_response *res, vz_error *err);
int api_graph_summary(vz_app *app, const http_request *req, http_response *res, vz_error *err);

/* Parse and validate a POST /api/v1/write body into a store write; on error nothing is allocated. */
int write_parse(const json_t *root, double received_at_s, vz_write *out, vz_error *err);
/* The "histograms" array of a write (api_histograms.c); on error write_free releases what it parsed. */
int histograms_parse(const json_t *array, double received_at_s, vz_write *out, vz_error *err);
/* The "images", "tensors" or "texts" array of a write (api_media.c); write_free releases them. */
int media_parse(const json_t *array, vz_media_kind kind, double received_at_s, vz_write *out, vz_error *err);

#endif
