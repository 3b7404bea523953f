#!/usr/bin/env python3
"""bench_tensorboard.py -- vizd against TensorBoard, side by side in one run, on the same event files.

    python3 bench/bench_tensorboard.py [--vizd build/vizd] [--repeats 3]
    BENCH_BIG=1 python3 bench/bench_tensorboard.py        # adds the 100 M-point series (~2.4 GB, minutes)

What it does, in order:
  1. tensorboardX writes a logdir (its protobuf classes and its RecordWriter, which frames and checksums each
     record; its SummaryWriter's queue to a writer thread would triple the time and measure only Python):
       big/      one series "loss" of 5,000,000 steps (float32 values, a noisy decaying curve with
                 SPIKES one-step spikes at known steps);
       r00..r19  20 runs of one tag "loss", 50,000 steps each.
     The logdir is kept in build/bench-logdir/ and reused by the next run (it is input, not a figure).
  2. vizd follows the logdir (`vizd --logdir`, a fresh database, loopback, a free port), and TensorBoard
     serves it (`tensorboard --logdir DIR --host 127.0.0.1 --port P`, default flags: its Rust data server
     when tensorboard-data-server is installed; the mode used is printed). Each is timed from its start
     until it serves the last step of every series, and its memory is read then (TensorBoard's is its
     Python process plus its data server's).
  3. The same queries go to both over HTTP, one keep-alive connection each, identity encoding (the answer's
     bytes are its JSON, or vizd's binary columns), the body read whole:
       vizd         GET /api/v1/scalars?run=..&tag=loss&points=1000[&start=&end=], in the row form, as
                    format=columns and as format=binary (what the dashboard asks for)
       TensorBoard  GET /data/plugin/scalars/scalars?run=&tag=   (its 1,000-point sample of the series),
                    POST /data/plugin/scalars/scalars_multirun    (tag, runs: one tag over many runs)
     Each query runs 5 times per repeat, the two servers taking turns; a repeat's figure is the median
     of its 5, and the table gives the median of the repeats' figures and their range. The ratio is
     TensorBoard's time over vizd's: >= 1 means vizd is faster.
  4. vizd only: every point of the 20 runs as CSV (1,000,000 rows), with vizd's memory before and after;
     10,000,000- (and with BENCH_BIG=1 100,000,000-) point series posted to a second vizd in columnar
     writes of 1,000,000 points, then queried with points=1000.
  5. Restart: each server stopped and started again on what it had (vizd: its database; TensorBoard: the
     logdir) and timed until it answers the 5 M series' chart with its last step.

Loopback only; bounded in count and time. This is not a test: it asserts nothing, it measures.
"""
import argparse
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from benchlib import Server, Timed, cpu_seconds, fmt_ms, free_port, memory_mb, post_write, start_vizd, wait_quiet

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(REPO, "tests", "api"))
from binary_columns import decode as decode_binary  # noqa: E402  (the decoder written from docs/API.md)
BIG_STEPS = 5_000_000
RUNS = 20
RUN_STEPS = 50_000
SPIKES = 10
SPIKE_VALUE = 100.0
LOGDIR_VERSION = "v1"  # bump when what write_logdir writes changes


# ---------------------------------------------------------------------------------------------------
# Data


def spike_steps(steps, count, seed):
    rng = random.Random(seed)
    return sorted(rng.sample(range(1, steps - 1), count))


def write_series(path, steps, seed, spikes=()):
    """One event file of `steps` scalar events for tag "loss", written by tensorboardX's RecordWriter."""
    from tensorboardX.proto import event_pb2, summary_pb2
    from tensorboardX.record_writer import RecordWriter
    rng = random.Random(seed)
    spikes = set(spikes)
    writer = RecordWriter(path)
    writer.write(event_pb2.Event(wall_time=1.7e9, file_version="brain.Event:2").SerializeToString())
    Event, Summary, Value = event_pb2.Event, summary_pb2.Summary, summary_pb2.Summary.Value
    for step in range(steps):
        value = SPIKE_VALUE if step in spikes else 2.0 / (1.0 + step * 1e-4) + rng.random() * 0.1
        event = Event(wall_time=1.7e9 + step * 0.01, step=step,
                      summary=Summary(value=[Value(tag="loss", simple_value=value)]))
        writer.write(event.SerializeToString())
    writer.close()


def write_logdir(root):
    """The logdir of step 1, written once into root and reused while its marker says it is complete."""
    marker = os.path.join(root, "complete-" + LOGDIR_VERSION)
    if os.path.exists(marker):
        return
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "big"))
    start = time.monotonic()
    # One process per file keeps both cores busy (tensorboardX's record writer is pure Python).
    jobs = [(os.path.join(root, "big", "events.out.tfevents.1700000000.bench"), BIG_STEPS, 1,
             spike_steps(BIG_STEPS, SPIKES, 1))]
    for r in range(RUNS):
        os.makedirs(os.path.join(root, "r%02d" % r))
        jobs.append((os.path.join(root, "r%02d" % r, "events.out.tfevents.1700000000.bench"), RUN_STEPS, 100 + r,
                     spike_steps(RUN_STEPS, 2, 100 + r)))
    procs = []
    for path, steps, seed, spikes in jobs:
        code = ("import sys; sys.path.insert(0, %r); import bench_tensorboard as b; b.write_series(%r, %d, %d, %r)"
                % (os.path.dirname(os.path.abspath(__file__)), path, steps, seed, spikes))
        procs.append(subprocess.Popen([sys.executable, "-c", code]))
        while sum(p.poll() is None for p in procs) >= 2:
            time.sleep(0.05)
    for p in procs:
        if p.wait() != 0:
            sys.exit("writing the logdir failed")
    open(marker, "w").close()
    print("logdir written by tensorboardX in %.0f s: %s" % (time.monotonic() - start, root))


def columnar_body(run, first, count, seed):
    """A columnar write of `count` float32 values (a noisy decaying curve), encoded once, before any clock."""
    import numpy as np
    rng = np.random.default_rng(seed)
    steps = np.arange(first, first + count)
    values = (2.0 / (1.0 + steps * 1e-4) + rng.random(count) * 0.1).astype(np.float32).astype(np.float64)
    return ('{"run": "%s", "scalars": [{"tag": "loss", "steps": [%s], "values": [%s]}]}'
            % (run, ",".join(map(str, steps.tolist())), ",".join(map(repr, values.tolist())))).encode()


# ---------------------------------------------------------------------------------------------------
# Processes and memory


def descendants(pid):
    out = []
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return out
    for child in children:
        out.append(child)
        out.extend(descendants(child))
    return out


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def tree_cpu_seconds(pid):
    """CPU time (user + system) of a process and its descendants (TensorBoard's data server)."""
    total = 0.0
    for p in [pid] + descendants(pid):
        try:
            total += cpu_seconds(p)
        except OSError:
            pass
    return total


def tree_memory_mb(pid):
    """RSS and anonymous RSS of a process and all its descendants, summed."""
    rss = anon = 0.0
    for p in [pid] + descendants(pid):
        m = memory_mb(p)
        rss += m.get("VmRSS", 0.0)
        anon += m.get("RssAnon", 0.0)
    return rss, anon


STARTED = []  # every server this script started: stopped at its end, also when it ends on an error


def spawn(argv):
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    STARTED.append(proc)
    return proc


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wait_until(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    sys.exit("timed out waiting for " + what)


def expected_series():
    series = {"big": BIG_STEPS - 1}
    series.update({"r%02d" % r: RUN_STEPS - 1 for r in range(RUNS)})
    return series


def start_vizd_logdir(binary, db, logdir):
    """vizd following the logdir; (proc, server, seconds from its start until every point is served)."""
    port = free_port()
    start = time.monotonic()
    proc = spawn([binary, "--db", db, "--port", str(port), "--logdir", logdir])
    server = Server(port)
    want = expected_series()

    def loaded():
        tags = server.get_json("/api/v1/tags?kind=scalars")
        if not tags:
            return False
        got = {run: kinds.get("scalars", {}).get("loss", {}).get("last_step") for run, kinds in tags["runs"].items()}
        counts = {run: kinds.get("scalars", {}).get("loss", {}).get("count") for run, kinds in tags["runs"].items()}
        return all(got.get(run) == last and counts.get(run) == last + 1 for run, last in want.items())

    wait_until(loaded, 600, "vizd to read the logdir")
    return proc, server, time.monotonic() - start


def tensorboard_mode(proc):
    for pid in descendants(proc.pid):
        line = cmdline(pid)
        if "tensorboard_data_server" in line or "data_server" in line:
            return "Rust data server (%s)" % line.split()[0].split("/site-packages/")[-1]
    return "Python loader (no data server process)"


def tensorboard_timeout(load_fast):
    """Seconds to wait for TensorBoard to read the logdir: its Python loader (--load_fast false) took
    21 minutes on a busy 2-core machine."""
    return 3600 if load_fast == "false" else 1200


def start_tensorboard(logdir, load_fast):
    """TensorBoard serving the logdir; (proc, server, seconds from its start until every series' last step
    is served)."""
    port = free_port()
    start = time.monotonic()
    proc = spawn(["tensorboard", "--logdir", logdir, "--host", "127.0.0.1", "--port", str(port),
                  "--load_fast", load_fast])
    server = Server(port)
    want = expected_series()
    done = set()

    def loaded():
        for run, last in want.items():
            if run in done:
                continue
            points = server.get_json("/data/plugin/scalars/scalars?" + urllib.parse.urlencode({"run": run, "tag": "loss"}))
            if not points or points[-1][1] != last:
                return False
            done.add(run)
        return True

    wait_until(loaded, tensorboard_timeout(load_fast), "TensorBoard to read the logdir")
    return proc, server, time.monotonic() - start


# ---------------------------------------------------------------------------------------------------
# Measures


def vizd_scalars_path(runs, points, start=None, end=None, fmt=None):
    params = [("tag", "loss")] + [("run", r) for r in runs] + [("points", points)]
    if start is not None:
        params.append(("start", start))
    if end is not None:
        params.append(("end", end))
    if fmt:
        params.append(("format", fmt))
    return "/api/v1/scalars?" + urllib.parse.urlencode(params)


def vizd_points(body):
    series = (decode_binary(body) if body[:4] == b"VZC1" else json.loads(body))["series"]
    return sum(len(s["points"]) if "points" in s else len(s["steps"]) for s in series), series


def vizd_series_points(s):
    """(step, value) pairs of one series of a vizd answer, in the row form or a columnar one."""
    if "points" in s:
        return [(p[0], p[-1]) for p in s["points"]]
    return list(zip(s["steps"], s["values"]))


def spikes_in(pairs, spikes):
    have = {step for step, value in pairs if value == SPIKE_VALUE}
    return sum(1 for s in spikes if s in have)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default=os.path.join(REPO, "build", "vizd"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--logdir", default=os.path.join(REPO, "build", "bench-logdir"))
    parser.add_argument("--load-fast", default="auto", help="TensorBoard's --load_fast (default: its own, auto)")
    args = parser.parse_args()
    big = os.environ.get("BENCH_BIG") == "1"

    mem_total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    import tensorboard
    import tensorboardX
    commit = subprocess.run(["git", "-C", REPO, "log", "-1", "--format=%h %s"], capture_output=True, text=True).stdout.strip()
    print("machine: %d cores (%s), %.0f GiB RAM, %s, Python %s; TensorBoard %s, tensorboardX %s"
          % (os.cpu_count(), cpu, mem_total, platform.platform(), platform.python_version(), tensorboard.__version__,
             tensorboardX.__version__))
    print("vizd commit: %s" % commit)
    print("load average at the start: %.1f %.1f %.1f" % os.getloadavg())

    write_logdir(args.logdir)
    spikes = spike_steps(BIG_STEPS, SPIKES, 1)
    runs = ["r%02d" % r for r in range(RUNS)]
    rows = []  # (measure, vizd, tensorboard, ratio)
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "vizd.sqlite")
        vizd, vz, vizd_load = start_vizd_logdir(args.vizd, db, args.logdir)
        vizd_rss, vizd_anon = tree_memory_mb(vizd.pid)
        tb, tbs, tb_load = start_tensorboard(args.logdir, args.load_fast)
        time.sleep(1.0)
        tb_rss, tb_anon = tree_memory_mb(tb.pid)
        mode = tensorboard_mode(tb)
        print("TensorBoard mode: %s (--load_fast %s)" % (mode, args.load_fast))
        rows.append(("start on the logdir (5 M + 20 x 50,000 = 6 M points) until the last step of every series "
                     "is served", "%.1f s" % vizd_load, "%.1f s" % tb_load, "%.2f" % (tb_load / vizd_load)))
        rows.append(("memory then: resident (anonymous)", "%.0f MB (%.0f MB)" % (vizd_rss, vizd_anon),
                     "%.0f MB (%.0f MB)" % (tb_rss, tb_anon), "%.2f" % (tb_anon / vizd_anon)))

        wait_quiet(vizd.pid, db)
        # vizd is asked in three forms: rows [step, wall_time, value] (what TensorBoard's answer holds too),
        # JSON columns of steps and values (format=columns), and the same columns in bytes (format=binary:
        # what the dashboard asks for a chart over steps, last, so the zooms use it too); a form a vizd
        # predates is skipped.
        forms = [("rows", None)] + [(fmt, fmt) for fmt in ("columns", "binary")
                                    if vz.request("GET", vizd_scalars_path(["big"], 1000, fmt=fmt))[0] == 200]
        tb_big = "/data/plugin/scalars/scalars?" + urllib.parse.urlencode({"run": "big", "tag": "loss"})
        tb_multi_body = urllib.parse.urlencode([("tag", "loss")] + [("runs", r) for r in runs])
        tb_form = {"Content-Type": "application/x-www-form-urlencoded"}
        tb_multirun = "/data/plugin/scalars/scalars_multirun"
        zoom_fmt = forms[-1][1]
        cut = BIG_STEPS // 100
        first = vizd_scalars_path(["big"], 1000, 0, cut - 1, fmt=zoom_fmt)
        last = vizd_scalars_path(["big"], 1000, BIG_STEPS - cut, BIG_STEPS - 1, fmt=zoom_fmt)
        requests = {"big_t": (tbs, "GET", tb_big, None, None),
                    "multi_t": (tbs, "POST", tb_multirun, tb_multi_body, tb_form),
                    "first": (vz, "GET", first, None, None), "last": (vz, "GET", last, None, None)}
        for form, fmt in forms:
            requests["big_" + form] = (vz, "GET", vizd_scalars_path(["big"], 1000, fmt=fmt), None, None)
            requests["multi_" + form] = (vz, "GET", vizd_scalars_path(runs, 1000, fmt=fmt), None, None)
        measures = {name: Timed() for name in requests}
        cpu = {name: 0.0 for name in requests}  # the server's CPU seconds over the measure's requests
        owner = {id(vz): vizd, id(tbs): tb}
        for server, method, path, body, headers in requests.values():  # warm both: open files, fill caches
            server.request(method, path, body, headers)
        for _ in range(args.repeats):  # the servers take turns, measure by measure
            for name, (server, method, path, body, headers) in requests.items():
                before = tree_cpu_seconds(owner[id(server)].pid)
                measures[name].run(server, method, path, body, headers)
                cpu[name] += tree_cpu_seconds(owner[id(server)].pid) - before

        def cpu_ms(name):
            return cpu[name] * 1e3 / (args.repeats * Timed.PER_REPEAT)

        tb_big_points = json.loads(measures["big_t"].body)
        big_spikes_t = spikes_in([(p[1], p[2]) for p in tb_big_points], spikes)
        tb_multi = json.loads(measures["multi_t"].body)
        run_spikes = {r: spike_steps(RUN_STEPS, 2, 100 + i) for i, r in enumerate(runs)}
        multi_spikes_t = sum(spikes_in([(p[1], p[2]) for p in tb_multi.get(r, [])], run_spikes[r]) for r in runs)
        gz = {"Accept-Encoding": "gzip"}
        _, tb_gz, _ = tbs.request("POST", tb_multirun, tb_multi_body, dict(tb_form, **gz))
        for form, fmt in forms:
            m = measures["big_" + form]
            n, series = vizd_points(m.body)
            rows.append(("one 5,000,000-step series, `points=1000`, vizd's %s" % form,
                         "%s, %d points, %.0f KB, %d of %d spikes"
                         % (m.text() + ", CPU " + fmt_ms(cpu_ms("big_" + form)) + " ms", n, len(m.body) / 1e3,
                            spikes_in(vizd_series_points(series[0]), spikes), SPIKES),
                         "%s, %d points, %.0f KB, %d of %d spikes"
                         % (measures["big_t"].text() + ", CPU " + fmt_ms(cpu_ms("big_t")) + " ms", len(tb_big_points),
                            len(measures["big_t"].body) / 1e3,
                            big_spikes_t, SPIKES),
                         "%.2f" % (measures["big_t"].median_ms() / m.median_ms())))
        for form, fmt in forms:
            m = measures["multi_" + form]
            n, series = vizd_points(m.body)
            _, vz_gz, _ = vz.request("GET", vizd_scalars_path(runs, 1000, fmt=fmt), headers=gz)
            rows.append(("one tag over 20 runs x 50,000 steps, `points=1000`, vizd's %s (TensorBoard: "
                         "scalars_multirun)" % form,
                         "%s, %d points, %.2f MB (gzip %.2f MB), %d of %d spikes"
                         % (m.text() + ", CPU " + fmt_ms(cpu_ms("multi_" + form)) + " ms", n, len(m.body) / 1e6,
                            len(vz_gz) / 1e6,
                            sum(spikes_in(vizd_series_points(x), run_spikes[x["run"]]) for x in series), 2 * RUNS),
                         "%s, %d points, %.2f MB (gzip %.2f MB), %d of %d spikes"
                         % (measures["multi_t"].text() + ", CPU " + fmt_ms(cpu_ms("multi_t")) + " ms",
                            sum(len(v) for v in tb_multi.values()),
                            len(measures["multi_t"].body) / 1e6, len(tb_gz) / 1e6, multi_spikes_t, 2 * RUNS),
                         "%.2f" % (measures["multi_t"].median_ms() / m.median_ms())))

        tb_first = sum(1 for p in tb_big_points if p[1] < cut)
        tb_last = sum(1 for p in tb_big_points if p[1] >= BIG_STEPS - cut)
        rows.append(("zoom: first 1%% / last 1%% of the 5 M series (`start`, `end`, `points=1000`, vizd's %s)"
                     % forms[-1][0],
                     "%s / %s (last / first %.2f)" % (measures["first"].text(), measures["last"].text(),
                                                      measures["last"].median_ms() / measures["first"].median_ms()),
                     "no request: zooms into its sample, %d / %d points there" % (tb_first, tb_last), "-"))

        # CSV of the 20 runs: every point (vizd only: TensorBoard has only its sample).
        csv_path = vizd_scalars_path(runs, 0, fmt="csv")
        before = memory_mb(vizd.pid)
        csv = Timed()
        for _ in range(args.repeats):
            with open("/proc/%d/clear_refs" % vizd.pid, "w") as f:
                f.write("5")  # VmHWM := VmRSS, so the peak is this request's
            csv.run(vz, "GET", csv_path)
        after = memory_mb(vizd.pid)
        rows_csv = csv.body.count(b"\n") - 1
        rows.append(("every point of the 20 runs as CSV (`points=0&format=csv`)",
                     "%s, %d rows, %.1f MB; RSS %.0f MB before, peak %.0f MB, %.0f MB after"
                     % (csv.text(), rows_csv, len(csv.body) / 1e6, before["VmRSS"], after["VmHWM"], after["VmRSS"]),
                     "cannot: its sample has %d rows" % sum(len(v) for v in tb_multi.values()), "-"))

        # Restart: time until the 5 M series' chart (with its last step) is answered.
        stop(vizd)
        stop(tb)
        port = free_port()
        start = time.monotonic()
        vizd = spawn([args.vizd, "--db", db, "--port", str(port), "--logdir", args.logdir])
        vz = Server(port)
        big_path = vizd_scalars_path(["big"], 1000)
        wait_until(lambda: (lambda j: bool(j) and j["series"][0]["total"] == BIG_STEPS)(vz.get_json(big_path)), 600,
                   "vizd's restart")
        vizd_restart = time.monotonic() - start
        vizd_rss2, vizd_anon2 = tree_memory_mb(vizd.pid)
        stop(vizd)
        port = free_port()
        start = time.monotonic()
        tb = spawn(["tensorboard", "--logdir", args.logdir, "--host", "127.0.0.1", "--port", str(port),
                    "--load_fast", args.load_fast])
        tbs = Server(port)
        wait_until(lambda: (lambda j: bool(j) and j[-1][1] == BIG_STEPS - 1)(tbs.get_json(tb_big)),
                   tensorboard_timeout(args.load_fast),
                   "TensorBoard's restart")
        tb_restart = time.monotonic() - start
        stop(tb)
        rows.append(("restart until the 5 M series' chart is answered with its last step",
                     "%.2f s (then %.0f MB resident, %.0f MB anonymous)" % (vizd_restart, vizd_rss2, vizd_anon2),
                     "%.2f s" % tb_restart, "%.0f" % (tb_restart / vizd_restart)))

        # vizd only: 10 M and (BENCH_BIG=1) 100 M points in one series, posted in columnar writes.
        sizes = [10_000_000] + ([100_000_000] if big else [])
        port = free_port()
        db2 = os.path.join(tmp, "big.sqlite")
        vizd2 = start_vizd(args.vizd, db2, port)
        STARTED.append(vizd2)
        try:
            v2 = Server(port)
            for n in sizes:
                run = "n%d" % n
                start = time.monotonic()
                encode = 0.0
                for first in range(0, n, 1_000_000):
                    t = time.monotonic()
                    body = columnar_body(run, first, min(1_000_000, n - first), first)
                    encode += time.monotonic() - t
                    post_write(v2.conn, body)
                posted = time.monotonic() - start - encode
                wait_quiet(vizd2.pid, db2)
                path = vizd_scalars_path([run], 1000)
                v2.request("GET", path)
                t = Timed()
                before = cpu_seconds(vizd2.pid)
                for _ in range(args.repeats):
                    t.run(v2, "GET", path)
                used = (cpu_seconds(vizd2.pid) - before) * 1e3 / (args.repeats * Timed.PER_REPEAT)
                n_points, _ = vizd_points(t.body)
                rows.append(("one %s-point series, `points=1000`, rows (vizd only; posted in %.0f s of writes, "
                             "database %.1f GB)" % (format(n, ","), posted, os.path.getsize(db2) / 1e9),
                             "%s, CPU %s ms, %d points (%.2fx the 5 M figure; CPU %.2fx)"
                             % (t.text(), fmt_ms(used), n_points, t.median_ms() / measures["big_rows"].median_ms(),
                                used / max(cpu_ms("big_rows"), 1e-9)),
                             "-", "-"))
        finally:
            stop(vizd2)

    print()
    print("load average at the end (other work on the machine): %.1f %.1f %.1f" % os.getloadavg())
    print("| measure | vizd | TensorBoard | ratio (>= 1: vizd faster or smaller) |")
    print("|---|---|---|---|")
    for row in rows:
        print("| %s |" % " | ".join(row))


if __name__ == "__main__":
    try:
        main()
    finally:
        for started in STARTED:
            stop(started)
