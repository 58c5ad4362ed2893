"""A TCP proxy a test can cut and restore, to take PostgreSQL or Redis away from the product without root (no
iptables) and without stopping the shared servers other tests use.

Point the product's DATABASE_URL / REDIS_URL at ``proxy.port`` (``proxy.url(url)``), then:
- ``cut("reset")``: every open connection is reset and every new one is accepted and reset at once — what the
  client sees when the server process stops, restarts or fails over (the usual outage);
- ``cut("stall")``: open connections are reset, new ones are accepted and then hear nothing — a server that
  takes the connection and never answers (the client's connect timeout must fire);
- ``cut_when(pattern)``: cut (reset) at the moment the client sends bytes containing ``pattern`` (that chunk is
  not forwarded): e.g. ``b"INSERT INTO outbox"`` cuts the database inside the intake transaction, after the
  ticket's INSERT went through and before its outbox row;
- ``cut_when(pattern, after_reply=True)``: the chunk is forwarded, the server executes it, and the cut comes
  with its answer (which the client never gets): the write happened but the client cannot know — e.g. an XADD
  Redis took whose reply was lost, so the sender will send it again;
- ``restore()``: new connections are forwarded again (cut ones stay gone; the client reconnects).

One thread, one selector: a command (cut, restore) has taken effect on every connection when its call returns.
A userland proxy cannot imitate a network partition of established connections (its own kernel keeps
acknowledging), so there is no such mode.
"""
from __future__ import annotations

import queue
import selectors
import socket
import struct
import threading
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

MODES = ("open", "reset", "stall")


def _reset(sock: socket.socket) -> None:
    """Close with an RST (SO_LINGER 0), as a dying server's kernel does, rather than an orderly FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class TcpProxy:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.listener.setblocking(False)
        self.port = self.listener.getsockname()[1]
        self.mode = "open"
        self.accepted = 0                       # connections taken, in any mode
        self.cuts = 0
        self.tripped = threading.Event()        # a cut_when pattern was seen
        self._trigger: bytes | None = None
        self._after_reply = False
        self._doomed: socket.socket | None = None      # a server socket whose next answer is swallowed, then cut
        self._peers: dict[socket.socket, socket.socket] = {}
        self._clients: set[socket.socket] = set()
        self._held: set[socket.socket] = set()
        self._commands: queue.Queue = queue.Queue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self.listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._running = True
        self._thread = threading.Thread(target=self._loop, name=f"tcp-proxy-{self.port}", daemon=True)

    # -------------------------------------------------------------------------------------------- control

    def start(self) -> "TcpProxy":
        self._thread.start()
        return self

    def url(self, url: str) -> str:
        """``url`` (postgresql://…, redis://…) with its host and port replaced by this proxy's."""
        parts = urlsplit(url)
        auth = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit((parts.scheme, f"{auth}127.0.0.1:{self.port}", parts.path, parts.query, parts.fragment))

    def cut(self, mode: str = "reset") -> None:
        if mode not in ("reset", "stall"):
            raise ValueError(f"unknown cut mode {mode!r}")
        self._run(lambda: self._cut(mode))

    def cut_when(self, pattern: bytes, after_reply: bool = False) -> None:
        """Arm a one-shot cut (reset) at the first client chunk containing ``pattern``: before it is forwarded, or
        ``after_reply``: when the server answers it (the answer is not forwarded)."""
        self.tripped.clear()

        def arm() -> None:
            self._trigger, self._after_reply, self._doomed = pattern, after_reply, None
        self._run(arm)

    def restore(self) -> None:
        self._run(self._restore)

    def open_connections(self) -> int:
        return len(self._clients)

    def stop(self) -> None:
        if not self._running:
            return
        self._run(self._cut_all)
        self._running = False
        self._wake_w.send(b"x")
        self._thread.join(timeout=10)
        self.listener.close()
        self._wake_r.close()
        self._wake_w.close()

    def __enter__(self) -> "TcpProxy":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _run(self, command: Callable[[], None]) -> None:
        """Run ``command`` in the proxy's thread and wait until it has."""
        done = threading.Event()
        self._commands.put((command, done))
        self._wake_w.send(b"x")
        if not done.wait(timeout=10):
            raise RuntimeError("the proxy's thread did not answer")

    # -------------------------------------------------------------------------------------------- the loop

    def _loop(self) -> None:
        while self._running:
            for key, _ in self._selector.select(timeout=0.5):
                if key.data == "wake":
                    self._wake_r.recv(4096)
                    self._do_commands()
                elif key.data == "accept":
                    self._accept()
                elif key.fileobj in self._held:
                    self._drain_held(key.fileobj)
                elif key.fileobj in self._peers:
                    self._forward(key.fileobj)

    def _do_commands(self) -> None:
        while True:
            try:
                command, done = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                command()
            finally:
                done.set()

    def _accept(self) -> None:
        try:
            client, _ = self.listener.accept()
        except BlockingIOError:
            return
        self.accepted += 1
        if self.mode == "reset":
            _reset(client)
            return
        if self.mode == "stall":
            self._held.add(client)
            self._selector.register(client, selectors.EVENT_READ)
            return
        try:
            server = socket.create_connection(self.target, timeout=5)
        except OSError:
            _reset(client)
            return
        for sock in (client, server):
            sock.settimeout(10)              # sends block at most this long (a client that stopped reading)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._selector.register(sock, selectors.EVENT_READ)
        self._peers[client], self._peers[server] = server, client
        self._clients.add(client)

    def _forward(self, sock: socket.socket) -> None:
        peer = self._peers[sock]
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if data and sock is self._doomed:            # the server answered what it was sent: swallow, cut
            self._doomed = None
            self.tripped.set()
            self._cut("reset")
            return
        if data and sock in self._clients and self._trigger and self._trigger in data:
            self._trigger = None
            if self._after_reply:
                self._doomed = peer
            else:
                self.tripped.set()           # before the reset reaches the client, which may look at once
                self._cut("reset")
                return
        if not data:
            self._close_pair(sock, peer, reset=False)
            return
        try:
            peer.sendall(data)
        except OSError:
            self._close_pair(sock, peer, reset=True)

    def _drain_held(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)              # swallowed: a stalled server hears and says nothing
        except OSError:
            data = b""
        if not data:
            self._held.discard(sock)
            self._selector.unregister(sock)
            sock.close()

    def _close_pair(self, a: socket.socket, b: socket.socket, reset: bool) -> None:
        for sock in (a, b):
            self._peers.pop(sock, None)
            self._clients.discard(sock)
            try:
                self._selector.unregister(sock)
            except (KeyError, ValueError):
                pass
            _reset(sock) if reset else sock.close()

    def _cut_all(self) -> None:
        for sock in [s for s in self._clients]:
            self._close_pair(sock, self._peers[sock], reset=True)
        for sock in list(self._held):
            self._selector.unregister(sock)
            _reset(sock)
        self._held.clear()

    def _cut(self, mode: str) -> None:
        self.mode = mode
        self._doomed = None
        self.cuts += 1
        self._cut_all()

    def _restore(self) -> None:
        for sock in list(self._held):          # connections taken while stalled never got a server
            self._selector.unregister(sock)
            _reset(sock)
        self._held.clear()
        self.mode = "open"
        # A cut armed by cut_when that never tripped is disarmed too: it would cut a later test's statement.
        self._trigger, self._doomed = None, None
