"""Start and stop gunicorn on a free loopback port for the whole-process runs (load test, smoke run)."""

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class ServerError(RuntimeError):
    """gunicorn exited or did not answer in time."""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(env, workdir, *, workers, threads, extra=(), wait=30):
    """gunicorn serving the project with `env`, its log in `workdir`/gunicorn.log; (process, port) once it
    accepts connections."""
    port = free_port()
    log_path = Path(workdir) / "gunicorn.log"
    command = [
        sys.executable, "-m", "gunicorn", "marketplace.wsgi:application",
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
        "--timeout", "120", "--graceful-timeout", "5",
        "--log-level", "warning", "--error-logfile", "-",
        *extra,
    ]  # fmt: skip
    log = open(log_path, "w")  # noqa: SIM115 - open as long as the server runs
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise ServerError(f"gunicorn exited: see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise ServerError(f"gunicorn did not start within {wait} s")


def stop(server):
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
