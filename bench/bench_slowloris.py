#!/usr/bin/env python3
"""bench_slowloris.py -- how long /healthz takes while vizd is under a bounded connection attack on loopback.

    python3 bench/bench_slowloris.py [--vizd build/vizd] [--seconds 10] [--extra-args "..."]

Starts vizd on a fresh database and a free 127.0.0.1 port, then runs each attack in turn while a probe
times GET /healthz every 20 ms on a new connection from 127.0.0.2 (a client other than the attacker):
  1. close:     2,600 x (connect, send half a request, close), then 10 s of probing;
  2. streams:   1,100 event-stream subscribers held open;
  3. heads:     2,000 connections that sent part of a request head and then nothing;
  4. slowloris: 1,100 connections each sending one more header line every second, never ending it.
Then 5. keep-alive: vizd's resident memory before and after 500 connections that each made one request
and stay open (libmicrohttpd keeps each one's per-connection memory, zeroed, hence touched).
Prints one line per attack: probes, failures, p50/p99/max latency (a failure counts as infinitely slow
in p99). Attacks come from 127.0.0.1 only and are bounded in count and time. Measures; asserts nothing.
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "api"))
import attacks  # noqa: E402
from benchlib import free_port  # noqa: E402


def start_vizd(binary, db, port, extra_args):
    proc = subprocess.Popen([binary, "--db", db, "--port", str(port)] + extra_args, stderr=subprocess.DEVNULL)
    for _ in range(400):
        if attacks.healthz_once(port, attacks.ATTACKER, 1) is not None:
            return proc
        time.sleep(0.025)
    proc.kill()
    sys.exit("vizd did not start")


def run_attack(name, binary, extra_args, seconds, attack):
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(binary, os.path.join(tmp, "runs.sqlite"), port, extra_args)
        try:
            with attacks.Probe(port, timeout=2) as probe:
                detail = attack(port, seconds)
            print("%-10s %s  (%s)" % (name, probe.summary(), detail), flush=True)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def close_attack(port, seconds):
    made = attacks.half_requests_then_close(port, 2600)
    time.sleep(seconds)
    return "%d connections made and closed" % made


def held(first_bytes, count):
    def attack(port, seconds):
        socks = attacks.open_many(port, count, first_bytes)
        time.sleep(seconds)
        alive = attacks.count_open(socks)
        attacks.close_all(socks)
        return "%d opened, %d still open at the end" % (len(socks), alive)
    return attack


def slowloris(port, seconds):
    socks = attacks.open_many(port, 1100, b"GET /api/v1/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    attacks.trickle(socks, seconds, every=1.0)
    alive = attacks.count_open(socks)
    attacks.close_all(socks)
    return "%d opened, %d still open at the end" % (len(socks), alive)


def resident_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(f.read().split("VmRSS:")[1].split()[0])


def keep_alive_memory(binary, extra_args):
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_vizd(binary, os.path.join(tmp, "runs.sqlite"), port, extra_args)
        try:
            before = resident_kib(proc.pid)
            socks = []
            for _ in range(500):
                sock = attacks.connect(port)
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                sock.recv(4096)
                socks.append(sock)
            time.sleep(0.5)
            after = resident_kib(proc.pid)
            attacks.close_all(socks)
            print("%-10s resident memory %.1f MiB, with 500 kept-alive connections %.1f MiB" % (
                "keep-alive", before / 1024, after / 1024), flush=True)
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--vizd", default="build/vizd")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--extra-args", default="", help="more vizd flags, e.g. '--max-connections-per-ip 0'")
    args = parser.parse_args()
    if not attacks.raise_fd_limit(4000):
        sys.exit("needs about 4,000 file descriptors (ulimit -n)")
    extra = shlex.split(args.extra_args)
    print("vizd %s %s, %.0f s per attack" % (args.vizd, " ".join(extra), args.seconds), flush=True)
    run_attack("close", args.vizd, extra, args.seconds, close_attack)
    run_attack("streams", args.vizd, extra, args.seconds,
               held(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", 1100))
    run_attack("heads", args.vizd, extra, args.seconds, held(b"GET /api/v1/runs HTTP/1.1\r\nHost: 127", 2000))
    run_attack("slowloris", args.vizd, extra, args.seconds, slowloris)
    keep_alive_memory(args.vizd, extra)


if __name__ == "__main__":
    main()
