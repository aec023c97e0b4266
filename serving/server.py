"""Running an ASGI application under uvicorn with ``serving.limits``, in the foreground or (for tests and
benchmarks) on a thread."""

from __future__ import annotations

import asyncio
import socket
import threading

import uvicorn

from serving.limits import DEFAULT_LIMITS, BodyLimit, DeadlineProtocol, Limits


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGTERM or SIGINT once it has shut down, so the process dies by it before the code that
    started the server can clean up (release a lease, close the store); this one returns from ``run`` instead."""

    def handle_exit(self, sig: int, frame) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()  # uvicorn 0.54 (pinned): what capture_signals would raise again


def _config(app, host: str, port: int, limits: Limits, access_log: bool) -> uvicorn.Config:
    protocol = type("Deadline", (DeadlineProtocol,), {"arrival_seconds": limits.arrival_seconds})
    return uvicorn.Config(
        BodyLimit(app, limits.body_bytes, limits.larger_bodies), host=host, port=port, http=protocol, loop="uvloop", backlog=limits.backlog,
        limit_concurrency=limits.concurrency, timeout_keep_alive=int(limits.keep_alive_seconds),
        access_log=access_log, log_config=None, lifespan="off", server_header=False,
    )


def serve(app, host: str, port: int, limits: Limits = DEFAULT_LIMITS) -> None:
    """Serve until interrupted. Access lines name the method, path and status, never bodies or headers."""
    _Server(_config(app, host, port, limits, access_log=True)).run()


class ServerThread:
    """The same server on a background thread, on a port of its own (``port=0`` picks a free one)."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0, limits: Limits = DEFAULT_LIMITS):
        self._socket = socket.create_server((host, port), backlog=limits.backlog)
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(_config(app, host, self.port, limits, access_log=False))
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the server did not start")
            threading.Event().wait(0.01)

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._socket]))

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
