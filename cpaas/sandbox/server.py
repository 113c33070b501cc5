"""SandboxSwitch: the Event Socket server (FreeSWITCH's 127.0.0.1:8021, password ClueCon)."""
from __future__ import annotations

import logging

from gevent.server import StreamServer

from cpaas.sandbox.core import Switch
from cpaas.sandbox.listener import Listener

log = logging.getLogger("cpaas.sandbox")


class SandboxSwitch:
    def __init__(self, host: str = "127.0.0.1", port: int = 8021, password: str = "ClueCon",
                 controller: str = "127.0.0.1:8084", speed: float = 1.0):
        self.host = host
        self.password = password
        self.switch = Switch(controller=controller, speed=speed)
        self._requested_port = port
        self._server = StreamServer((host, port), self._handle, backlog=1024)

    @property
    def port(self) -> int:
        return self._server.server_port if self._server.started else self._requested_port

    def start(self) -> None:
        """Bind and accept in the background (non-blocking)."""
        self._server.start()
        self.switch.start_heartbeat()
        log.info("sandbox switch listening on %s:%s (controller %s, speed %sx)", self.host, self.port,
                 self.switch.controller, self.switch.clock.speed)

    def serve_forever(self) -> None:
        if not self._server.started:
            self.start()
        self._server.serve_forever()

    def stop(self) -> None:
        self.switch.stop()
        self._server.stop(timeout=1)

    def _handle(self, sock, address) -> None:
        Listener(self.switch, sock, password=self.password).serve()
