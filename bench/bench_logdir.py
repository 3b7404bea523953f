"""bench_logdir.py -- `vizd --logdir` against `tensorboard --logdir` on the same logdir, side by side.

One run of TAGS tags x STEPS steps is written by tensorboardX, then copied into RUNS run directories (the
copies are byte for byte what tensorboardX wrote; writing them all would take minutes and measure Python).
Then, one after the other, each server is started on the logdir (loopback, a free port, a fresh database
for vizd) and timed from its start until it serves the last point of every series:
  vizd         /api/v1/tags lists every series with STEPS points
  TensorBoard  /data/plugin/scalars/tags lists every series and each one's last served step is STEPS-1
               (its default data server, the Rust one when tensorboard-data-server is installed)

    python3 bench/bench_logdir.py [RUNS TAGS STEPS]      # default 20 10 50000 (10 M points)
"""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from benchlib import free_port

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


def get_json(url):
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def write_logdir(root, runs, tags, steps):
    one = os.path.join(root, "one")
    code = ("import sys, tensorboardX\n"
            "with tensorboardX.SummaryWriter(sys.argv[1], max_queue=1000) as w:\n"
            "    for s in range(%d):\n"
            "        for t in range(%d): w.add_scalar('tag%%d' %% t, s * 0.001 + t, s)\n" % (steps, tags))
    subprocess.run([sys.executable, "-c", code, one], check=True)
    (source,) = glob.glob(os.path.join(one, "events.out.tfevents.*"))
    logdir = os.path.join(root, "logdir")
    for r in range(runs):
        os.makedirs(os.path.join(logdir, "run%02d" % r))
        shutil.copyfile(source, os.path.join(logdir, "run%02d" % r, os.path.basename(source)))
    return logdir, os.path.getsize(source) * runs


def time_vizd(logdir, root, runs, tags, steps):
    port = free_port()
    start = time.monotonic()
    proc = subprocess.Popen([os.path.join(REPO, "build", "vizd"), "--db", os.path.join(root, "bench.sqlite"),
                             "--port", str(port), "--logdir", logdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            tags_json = get_json("http://127.0.0.1:%d/api/v1/tags?kind=scalars" % port)
            if tags_json:
                counts = [info["count"] for kinds in tags_json["runs"].values()
                          for info in kinds.get("scalars", {}).values()]
                if len(counts) == runs * tags and all(c == steps for c in counts):
                    return time.monotonic() - start
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait()


def time_tensorboard(logdir, runs, tags, steps):
    port = free_port()
    start = time.monotonic()
    proc = subprocess.Popen(["tensorboard", "--logdir", logdir, "--port", str(port), "--host", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = "http://127.0.0.1:%d/data/plugin/scalars/" % port
    done = set()
    try:
        while True:
            listed = get_json(base + "tags") or {}
            for run, run_tags in listed.items():
                for tag in run_tags:
                    if (run, tag) in done:
                        continue
                    query = urllib.parse.urlencode({"run": run, "tag": tag})
                    points = get_json(base + "scalars?" + query)
                    if points and points[-1][1] == steps - 1:
                        done.add((run, tag))
            if len(done) == runs * tags:
                return time.monotonic() - start
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait()


def main():
    runs, tags, steps = (int(a) for a in sys.argv[1:4]) if len(sys.argv) == 4 else (20, 10, 50000)
    with tempfile.TemporaryDirectory() as root:
        t = time.monotonic()
        logdir, size = write_logdir(root, runs, tags, steps)
        print("logdir: %d runs x %d tags x %d steps = %d points, %.0f MB (written in %.0f s)"
              % (runs, tags, steps, runs * tags * steps, size / 1e6, time.monotonic() - t))
        vizd_s = time_vizd(logdir, root, runs, tags, steps)
        print("vizd --logdir:        every point served after %.2f s" % vizd_s)
        tb_s = time_tensorboard(logdir, runs, tags, steps)
        print("tensorboard --logdir: every series' last point served after %.2f s" % tb_s)
        print("ratio vizd / TensorBoard: %.2f" % (vizd_s / tb_s))


if __name__ == "__main__":
    main()
