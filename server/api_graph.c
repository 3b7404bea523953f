/* api_graph.c -- model graphs: the "graph" object of POST /api/v1/write, GET /api/v1/graph and
 * GET /api/v1/graph/summary (the torchinfo table, computed by summary.c from the stored rows).
 *
 * A graph is validated in full (summary.c's summary_graph_text) before it is stored, so a stored graph
 * always has a summary; it is kept as the JSON it came as and the summary is computed when asked for, at the
 * depth and with the columns asked for. */
#include <stdlib.h>
#include <string.h>

#include "vizd/api.h"
#include "vizd/json.h"
#include "vizd/summary.h"

static int load_graph(vz_app *app, const http_request *req, const char **run, json_t **graph, vz_error *err)
{
    if (http_query_name(req, "run", run, err) < 0) return -1;
    char *text;
    if (store_read_graph(app->store, *run, &text, err) < 0) return -1;
    *graph = json_loads(text, 0, NULL);
    free(text);
    if (!*graph) return vz_fail(err, 500, "internal", "", "the stored graph is not valid JSON");
    return 0;
}

static int read_options(const http_request *req, vz_summary_options *opts, vz_error *err)
{
    summary_options_init(opts);
    int64_t depth;
    if (http_query_int64(req, "depth", SUMMARY_DEFAULT_DEPTH, &depth, err) < 0) return -1;
    if (depth < 0 || depth > 100) return vz_fail(err, 400, "invalid_value", "depth", "expected 0 to 100");
    opts->depth = (int)depth;
    const char *columns = http_query(req, "columns");
    return columns ? summary_parse_columns(columns, opts, err) : 0;
}

int api_graph(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *run;
    json_t *graph;
    vz_summary_options opts;
    if (read_options(req, &opts, err) < 0 || load_graph(app, req, &run, &graph, err) < 0) return -1;
    json_t *summary = NULL;
    int rc = summary_build(graph, &opts, NULL, &summary, err);
    if (rc == 0) http_answer_json(res, json_pack("{s:s, s:O, s:o}", "run", run, "graph", graph, "summary", summary));
    json_decref(graph);
    return rc;
}

int api_graph_summary(vz_app *app, const http_request *req, http_response *res, vz_error *err)
{
    const char *run;
    json_t *graph;
    vz_summary_options opts;
    const char *format = http_query(req, "format");
    if (format && strcmp(format, "text") != 0 && strcmp(format, "json") != 0)
        return vz_fail(err, 400, "invalid_value", "format", "expected json or text");
    bool is_text = format && strcmp(format, "text") == 0;
    if (read_options(req, &opts, err) < 0 || load_graph(app, req, &run, &graph, err) < 0) return -1;
    json_t *summary = NULL;
    int rc = summary_build(graph, &opts, is_text ? &res->body : NULL, is_text ? NULL : &summary, err);
    json_decref(graph);
    if (rc < 0) return -1;
    if (is_text) {
        res->status = 200;
        res->content_type = "text/plain; charset=utf-8";
        return 0;
    }
    return http_answer_json(res, summary);
}
