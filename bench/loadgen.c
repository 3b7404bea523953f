/* loadgen.c -- a small HTTP load generator for one-point writes to a vizd on loopback.
 *
 *     build/loadgen --port N [--connections 4] [--seconds 5] [--requests 1000000] [--run NAME]
 *                   [--path /api/v1/write] [--get]
 *
 * A Python client spends more time building requests than vizd spends answering them, so it cannot show
 * what vizd does at 20,000 requests/s. This one is a single thread that keeps `connections` keep-alive
 * connections to 127.0.0.1 and, on each, one request in flight at a time (no pipelining): it sends a
 * request, reads the whole answer (status line, headers, Content-Length body), checks the status is 200,
 * and sends the next at once. Each connection writes its own run ("NAME-K", tag "loss", steps 0, 1, 2,
 * ...), so a request is one new point. It stops after `seconds` or `requests` in all, whichever comes
 * first, and prints the rate and the latency percentiles. Only loopback is reachable: the address is fixed.
 * With --get it sends GET PATH instead (e.g. /healthz), to measure the HTTP path alone. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 64
#define RESPONSE_BYTES 65536

typedef struct {
    int fd;
    int index;
    uint64_t next_step;
    char request[1024];
    size_t request_len, sent;
    char response[RESPONSE_BYTES];
    size_t received;
    double sent_at_s;
} connection;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int connect_loopback(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static const char *run_name = "load";
static const char *path = "/api/v1/write";
static bool is_get = false;

static void build_request(connection *c)
{
    if (is_get) {
        c->request_len = (size_t)snprintf(c->request, sizeof c->request,
                                          "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
    } else {
        char body[256];
        int body_len = snprintf(body, sizeof body,
                                "{\"run\":\"%s-%d\",\"scalars\":[{\"tag\":\"loss\",\"step\":%llu,\"value\":%.6g}]}",
                                run_name, c->index, (unsigned long long)c->next_step,
                                1.0 / (double)(c->next_step + 1));
        c->request_len = (size_t)snprintf(c->request, sizeof c->request,
                                          "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                                          "Content-Length: %d\r\n\r\n%s", path, body_len, body);
        c->next_step++;
    }
    c->sent = 0;
    c->received = 0;
}

/* Whether the answer in c->response is complete; *status gets its status code. */
static bool response_is_complete(const connection *c, int *status)
{
    const char *end = memmem(c->response, c->received, "\r\n\r\n", 4);
    if (!end) return false;
    size_t head = (size_t)(end - c->response) + 4;
    if (sscanf(c->response, "HTTP/1.1 %d", status) != 1) *status = 0;
    long long length = 0;
    for (const char *p = c->response; p < end; p++) {
        if ((p == c->response || p[-1] == '\n') && strncasecmp(p, "Content-Length:", 15) == 0) {
            length = atoll(p + 15);
            break;
        }
    }
    return c->received >= head + (size_t)length;
}

/* Send what is left of c's request (all of it, nearly always); -1 when the connection is lost. */
static int send_some(connection *c)
{
    ssize_t n = send(c->fd, c->request + c->sent, c->request_len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) c->sent += (size_t)n;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR ? -1 : 0;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int port = 0, connections = 4;
    double seconds = 5;
    long long max_requests = 1000000;
    for (int i = 1; i < argc; i++) {
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--port") && next) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--connections") && next) connections = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && next) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--requests") && next) max_requests = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--run") && next) run_name = argv[++i];
        else if (!strcmp(argv[i], "--path") && next) path = argv[++i];
        else if (!strcmp(argv[i], "--get")) is_get = true;
        else {
            fprintf(stderr, "usage: loadgen --port N [--connections 4] [--seconds 5] [--requests N] [--run NAME] "
                            "[--path P] [--get]\n");
            return 2;
        }
    }
    if (port <= 0 || connections < 1 || connections > MAX_CONNECTIONS || seconds <= 0 || seconds > 600 ||
        max_requests < 1 || max_requests > 100000000) {
        fprintf(stderr, "loadgen: bad arguments (port, 1..%d connections, up to 600 s, up to 1e8 requests)\n",
                MAX_CONNECTIONS);
        return 2;
    }
    static connection conns[MAX_CONNECTIONS];
    struct pollfd fds[MAX_CONNECTIONS];
    double *latencies = malloc((size_t)max_requests * sizeof *latencies);
    if (!latencies) return 1;
    double start = now_s(), deadline = start + seconds;
    for (int k = 0; k < connections; k++) {
        conns[k].index = k;
        conns[k].fd = connect_loopback(port);
        if (conns[k].fd < 0) {
            fprintf(stderr, "loadgen: cannot connect to 127.0.0.1:%d: %s\n", port, strerror(errno));
            return 1;
        }
        build_request(&conns[k]);
        conns[k].sent_at_s = now_s();
    }
    long long issued = connections, done = 0, failed = 0;
    int open = connections;
    while (open > 0) {
        for (int k = 0; k < connections; k++) {
            fds[k].fd = conns[k].fd;
            fds[k].events = conns[k].fd < 0 ? 0 : conns[k].sent < conns[k].request_len ? POLLOUT : POLLIN;
            fds[k].revents = 0;
        }
        if (poll(fds, (nfds_t)connections, 1000) < 0 && errno != EINTR) break;
        for (int k = 0; k < connections; k++) {
            connection *c = &conns[k];
            if (c->fd < 0 || !fds[k].revents) continue;
            if (c->sent < c->request_len) {
                if (send_some(c) < 0) goto lost;
                continue;
            }
            ssize_t n = recv(c->fd, c->response + c->received, sizeof c->response - c->received, 0);
            if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                goto lost;
            }
            c->received += (size_t)n;
            int status;
            if (!response_is_complete(c, &status)) {
                if (c->received == sizeof c->response) goto lost;
                continue;
            }
            double t = now_s();
            latencies[done++] = t - c->sent_at_s;
            if (status != 200) {
                if (failed++ == 0) fprintf(stderr, "loadgen: status %d: %.300s\n", status, c->response);
            }
            if (t >= deadline || issued >= max_requests) {
                close(c->fd);
                c->fd = -1;
                open--;
                continue;
            }
            build_request(c);
            c->sent_at_s = t;
            issued++;
            if (send_some(c) < 0) goto lost; /* at once: a poll for POLLOUT first cost a system call */
            continue;
        lost:
            fprintf(stderr, "loadgen: connection %d lost after %lld answers\n", k, done);
            close(c->fd);
            c->fd = -1;
            open--;
            failed++;
        }
    }
    double elapsed = now_s() - start;
    qsort(latencies, (size_t)done, sizeof *latencies, compare_doubles);
    double p50 = done ? latencies[done / 2] : 0, p99 = done ? latencies[(size_t)((double)done * 0.99)] : 0;
    printf("%s %s: %lld requests over %d connections in %.2f s = %.0f requests/s, latency p50 %.2f ms, "
           "p99 %.2f ms, %lld failed\n", is_get ? "GET" : "one-point POST", path, done, connections, elapsed,
           (double)done / elapsed, p50 * 1000, p99 * 1000, failed);
    free(latencies);
    return failed ? 1 : 0;
}
