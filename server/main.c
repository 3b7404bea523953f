/* main.c -- vizd's command line: flags, start-up, signals, orderly shutdown.
 *
 * Start-up opens the store (creating and migrating the database), then starts listening; any failure is
 * one line on stderr and a non-zero exit. SIGINT and SIGTERM stop vizd cleanly: live streams are ended,
 * in-flight writes finish and are answered, the WAL is checkpointed into the database file. */
#include <getopt.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vizd/app.h"
#include "vizd/clock.h"
#include "vizd/copy.h"
#include "vizd/http.h"
#include "vizd/follow.h"
#include "vizd/import.h"
#include "vizd/store_pg.h"

#define DEFAULT_MAX_BODY_BYTES (64u * 1024 * 1024)
#define DEFAULT_MAX_CONNECTIONS 4096
#define DEFAULT_MAX_CONNECTIONS_PER_IP 512
#define MAX_ALLOWED_HOSTS 32
/* File descriptors kept for the database, its WAL, --web files and the listener. */
#define RESERVED_FDS 64

static const char usage[] =
    "usage: vizd [--db PATH] [--port N] [--host ADDR] [--web DIR] [--max-body BYTES] [--threads N]\n"
    "            [--token-file FILE] [--allow-host NAME]... [--max-connections N]\n"
    "            [--max-connections-per-ip N] [--import LOGDIR [--import-only]]\n"
    "            [--logdir [NAME:]DIR]... [--logdir-poll-ms N] [--copy-to TARGET]\n"
    "\n"
    "Stores training metrics posted over HTTP in one SQLite file (or a PostgreSQL database) and serves a\n"
    "dashboard for them.\n"
    "\n"
    "  --db PATH          the database file (default runs.sqlite; created if missing), or a PostgreSQL\n"
    "                     database: postgresql://USER@HOST:PORT/DB, postgres://... or \"host=... dbname=...\"\n"
    "                     (several vizd processes may share one)\n"
    "  --port N           the TCP port (default 6006)\n"
    "  --host ADDR        the IPv4 address to listen on (default 127.0.0.1)\n"
    "  --web DIR          serve the dashboard from DIR instead of the built-in copy (development)\n"
    "  --max-body BYTES   largest request body accepted (default 67108864 = 64 MiB)\n"
    "  --threads N        libmicrohttpd poll threads (default 1)\n"
    "  --token-file FILE  writes need \"Authorization: Bearer TOKEN\", TOKEN being the file's first line\n"
    "                     (or set VIZD_TOKEN); reads stay open\n"
    "  --allow-host NAME  also answer requests whose Host header is NAME (repeatable); addresses,\n"
    "                     localhost and the --host value are always allowed (DNS rebinding guard)\n"
    "  --max-connections N         open connections at once, event streams included (default 4096)\n"
    "  --max-connections-per-ip N  of those, from one client address (default 512; 0 = no cap)\n"
    "  --import LOGDIR    import TensorBoard event files (torch / tensorboardX SummaryWriter) from LOGDIR\n"
    "                     into --db at start-up; each directory with events.out.tfevents.* is a run\n"
    "  --import-only      exit after --import instead of serving\n"
    "  --logdir [NAME:]DIR  follow TensorBoard event files in DIR live, as tensorboard --logdir does\n"
    "                     (repeatable; runs are named NAME/PATH); resumes where it stopped after a restart\n"
    "  --logdir-poll-ms N   look for changes every N ms instead of through inotify (default: inotify,\n"
    "                     or polling every 500 ms where inotify is unavailable)\n"
    "  --copy-to TARGET   copy every run of --db into TARGET (a file or a PostgreSQL database, as --db),\n"
    "                     printing progress, then exit\n"
    "  --help             this text\n"
    "  --version          the version\n";

typedef struct {
    const char *db_path;
    const char *host;
    const char *web_dir;
    const char *token_file;
    const char *import_dir;
    bool is_import_only;
    const char *copy_to;
    int port;
    size_t max_body_bytes;
    unsigned threads;
    unsigned max_connections, max_connections_per_ip;
    const char *allowed_hosts[MAX_ALLOWED_HOSTS];
    size_t allowed_host_count;
    follow_logdir logdirs[FOLLOW_MAX_LOGDIRS];
    size_t logdir_count;
    unsigned logdir_poll_ms;
} options;

static int parse_number(const char *flag, const char *text, unsigned long long min, unsigned long long max,
                        unsigned long long *out)
{
    char *end;
    unsigned long long v = strtoull(text, &end, 10);
    if (*text == '\0' || *end != '\0' || *text == '-' || v < min || v > max) {
        fprintf(stderr, "vizd: %s %s: expected a number from %llu to %llu\n", flag, text, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* Returns 0 to run, 1 to exit successfully (--help, --version), -1 on a bad command line. */
static int parse_options(int argc, char **argv, options *opt)
{
    static const struct option longopts[] = {
        {"db", required_argument, 0, 'd'},       {"port", required_argument, 0, 'p'},
        {"host", required_argument, 0, 'H'},     {"web", required_argument, 0, 'w'},
        {"max-body", required_argument, 0, 'm'}, {"threads", required_argument, 0, 't'},
        {"token-file", required_argument, 0, 'T'}, {"import", required_argument, 0, 'i'},
        {"import-only", no_argument, 0, 'I'},       {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'v'},           {"allow-host", required_argument, 0, 'A'},
        {"max-connections", required_argument, 0, 'C'}, {"max-connections-per-ip", required_argument, 0, 'P'},
        {"logdir", required_argument, 0, 'L'},          {"logdir-poll-ms", required_argument, 0, 'Q'},
        {"copy-to", required_argument, 0, 'O'},
        {0, 0, 0, 0},
    };
    *opt = (options){.db_path = "runs.sqlite", .host = "127.0.0.1", .port = 6006,
                     .max_body_bytes = DEFAULT_MAX_BODY_BYTES, .threads = 1,
                     .max_connections = DEFAULT_MAX_CONNECTIONS,
                     .max_connections_per_ip = DEFAULT_MAX_CONNECTIONS_PER_IP};
    unsigned long long n;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': opt->db_path = optarg; break;
        case 'O': opt->copy_to = optarg; break;
        case 'H': opt->host = optarg; break;
        case 'w': opt->web_dir = optarg; break;
        case 'T': opt->token_file = optarg; break;
        case 'i': opt->import_dir = optarg; break;
        case 'I': opt->is_import_only = true; break;
        case 'p':
            if (parse_number("--port", optarg, 0, 65535, &n) < 0) return -1;
            opt->port = (int)n;
            break;
        case 'm':
            if (parse_number("--max-body", optarg, 1, 1ull << 34, &n) < 0) return -1;
            opt->max_body_bytes = (size_t)n;
            break;
        case 't':
            if (parse_number("--threads", optarg, 1, 256, &n) < 0) return -1;
            opt->threads = (unsigned)n;
            break;
        case 'A':
            if (opt->allowed_host_count == MAX_ALLOWED_HOSTS || *optarg == '\0') {
                fprintf(stderr, "vizd: --allow-host: give 1 to %d non-empty names\n", MAX_ALLOWED_HOSTS);
                return -1;
            }
            opt->allowed_hosts[opt->allowed_host_count++] = optarg;
            break;
        case 'C':
            if (parse_number("--max-connections", optarg, 1, 1000000, &n) < 0) return -1;
            opt->max_connections = (unsigned)n;
            break;
        case 'P':
            if (parse_number("--max-connections-per-ip", optarg, 0, 1000000, &n) < 0) return -1;
            opt->max_connections_per_ip = (unsigned)n;
            break;
        case 'L': {
            vz_error err;
            if (opt->logdir_count == FOLLOW_MAX_LOGDIRS) {
                fprintf(stderr, "vizd: --logdir: at most %d\n", FOLLOW_MAX_LOGDIRS);
                return -1;
            }
            if (follow_parse_logdir(optarg, &opt->logdirs[opt->logdir_count], &err) < 0) {
                fprintf(stderr, "vizd: --logdir %s: %s\n", optarg, err.message);
                return -1;
            }
            opt->logdir_count++;
            break;
        }
        case 'Q':
            if (parse_number("--logdir-poll-ms", optarg, 10, 600000, &n) < 0) return -1;
            opt->logdir_poll_ms = (unsigned)n;
            break;
        case 'h': fputs(usage, stdout); return 1;
        case 'v': printf("vizd %s\n", VIZD_VERSION); return 1;
        default: fputs(usage, stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vizd: unexpected argument: %s\n%s", argv[optind], usage);
        return -1;
    }
    if (opt->is_import_only && !opt->import_dir) {
        fprintf(stderr, "vizd: --import-only needs --import LOGDIR\n");
        return -1;
    }
    return 0;
}


/* The write token: the first line of --token-file, else $VIZD_TOKEN, else none (NULL). Returns -1 with a
 * message on stderr when a token was asked for but cannot be had. */
static int load_token(const options *opt, char *token, size_t size, const char **out)
{
    *out = NULL;
    if (opt->token_file) {
        FILE *f = fopen(opt->token_file, "r");
        if (!f || !fgets(token, (int)size, f)) {
            fprintf(stderr, "vizd: --token-file %s: cannot read a token from it\n", opt->token_file);
            if (f) fclose(f);
            return -1;
        }
        fclose(f);
    } else if (getenv("VIZD_TOKEN") && *getenv("VIZD_TOKEN")) {
        snprintf(token, size, "%s", getenv("VIZD_TOKEN"));
    } else {
        return 0;
    }
    token[strcspn(token, "\r\n")] = '\0';
    if (strlen(token) < 8) {
        fprintf(stderr, "vizd: the write token must be at least 8 characters\n");
        return -1;
    }
    *out = token;
    return 0;
}

/* Every connection is a file descriptor: raise the soft limit to the hard one (many systems start
 * processes at 1024), and hold the connection cap below what is left after RESERVED_FDS. */
static void fit_connections_to_fd_limit(options *opt)
{
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
    }
    if (limit.rlim_cur == RLIM_INFINITY || limit.rlim_cur > opt->max_connections + (rlim_t)RESERVED_FDS) return;
    unsigned fitting = limit.rlim_cur > 2 * RESERVED_FDS ? (unsigned)(limit.rlim_cur - RESERVED_FDS) : RESERVED_FDS;
    fprintf(stderr, "vizd: --max-connections %u lowered to %u: only %llu file descriptors (ulimit -n)\n",
            opt->max_connections, fitting, (unsigned long long)limit.rlim_cur);
    opt->max_connections = fitting;
}

static int import_at_start(const options *opt, vz_store *store)
{
    import_stats stats = {0};
    vz_error err;
    if (import_logdir(opt->import_dir, store, &stats, &err) < 0) {
        fprintf(stderr, "vizd: --import %s: %s\n", opt->import_dir, err.message);
        return -1;
    }
    /* The skipped values are named by kind and tag, so nobody has to wonder what was lost. */
    vz_buf skipped;
    buf_init(&skipped);
    import_describe_skips(&stats, &skipped);
    fprintf(stderr, "vizd: imported %zu runs, %zu files: %zu scalars, %zu histograms, %zu images, %zu texts, "
            "%zu graphs (%zu values skipped%s%s, %zu files still being written)\n", stats.runs, stats.files,
            stats.scalars, stats.histograms, stats.images, stats.texts, stats.graphs, stats.skipped,
            stats.skipped ? ": " : "", skipped.len ? skipped.data : "", stats.truncated);
    buf_free(&skipped);
    return 0;
}

/* Another replica's commit, heard through the database: to this process's event streams. */
static void publish_remote_event(void *hub, const char *event, const char *data)
{
    events_publish_remote(hub, event, data);
}

/* --copy-to: every run of the open store into target; the exit status. */
static int copy_to(vz_store *from, const char *target)
{
    vz_store *to;
    vz_error err;
    int rc = store_open(&to, target, &err);
    if (rc == 0) {
        rc = copy_store(from, to, &err);
        store_close(to);
    }
    store_close(from);
    if (rc < 0) fprintf(stderr, "vizd: --copy-to: %s\n", err.message); /* not the target: it may hold a password */
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    options opt;
    int parsed = parse_options(argc, argv, &opt);
    if (parsed != 0) return parsed > 0 ? 0 : 2;

    /* Block the stop signals in every thread; the main thread waits for them with sigwait. */
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    static char token[1024];
    const char *token_or_null;
    if (load_token(&opt, token, sizeof token, &token_or_null) < 0) return 1;
    vz_app app = {.db_path = opt.db_path, .web_dir = opt.web_dir, .token = token_or_null,
                  .max_body_bytes = opt.max_body_bytes, .started_at_s = clock_now_s()};
    vz_error err;
    if (store_open(&app.store, opt.db_path, &err) < 0) {
        fprintf(stderr, "vizd: %s\n", err.message);
        return 1;
    }
    /* Before anything listens or publishes: no client sees a half-imported run. */
    if (opt.import_dir && import_at_start(&opt, app.store) < 0) {
        store_close(app.store);
        return 1;
    }
    if (opt.copy_to) return copy_to(app.store, opt.copy_to);
    if (opt.is_import_only) {
        store_close(app.store);
        return 0;
    }
    app.events = events_create();
    store_set_commit_hook(app.store, events_publish_write, app.events);
    if (store_listen(app.store, publish_remote_event, app.events, &err) < 0) {
        fprintf(stderr, "vizd: %s\n", err.message);
        store_close(app.store);
        events_destroy(app.events);
        return 1;
    }
    http_server *server;
    fit_connections_to_fd_limit(&opt);
    http_options http = {opt.host, opt.port, opt.max_body_bytes, opt.threads, opt.max_connections,
                         opt.max_connections_per_ip, opt.allowed_hosts, opt.allowed_host_count};
    if (http_start(&server, &app, &http, &err) < 0) {
        fprintf(stderr, "vizd: %s\n", err.message);
        events_shutdown(app.events);
        store_close(app.store);
        events_destroy(app.events);
        return 1;
    }
    /* A connection string may hold a password: logs name only the kind of database then. */
    fprintf(stderr, "vizd %s: serving %s on http://%s:%d\n", VIZD_VERSION,
            store_pg_is_conninfo(opt.db_path) ? "a PostgreSQL database" : opt.db_path, opt.host, opt.port);
    /* After the server: the dashboard answers at once while a large logdir is still being read. */
    follower *follow = NULL;
    follow_options follow_opt = {.poll_ms = opt.logdir_poll_ms};
    if (opt.logdir_count && follow_start(&follow, app.store, opt.logdirs, opt.logdir_count, &follow_opt, &err) < 0) {
        fprintf(stderr, "vizd: %s\n", err.message);
        events_shutdown(app.events);
        http_stop(server);
        store_close(app.store);
        events_destroy(app.events);
        return 1;
    }

    int sig;
    sigwait(&stop_signals, &sig);
    fprintf(stderr, "vizd: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    follow_stop(follow);
    if (events_shutdown(app.events) > 0)
        usleep(100 * 1000); /* let the ended streams send their last bytes before the daemon goes */
    http_stop(server);
    store_close(app.store);
    events_destroy(app.events);
    return 0;
}
