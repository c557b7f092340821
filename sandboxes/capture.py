"""Capped capture of a program's output, and the framing of Docker's attach stream."""

from __future__ import annotations

import struct


class CappedBuffer:
    """Keeps the first ``cap`` bytes of a stream and remembers whether more came."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.truncated = False

    def add(self, chunk: bytes) -> bool:
        """Append; True when this chunk went past the cap (the caller stops the program)."""
        room = self.cap - len(self.data)
        if len(chunk) > room:
            self.data += chunk[: max(room, 0)]
            newly = not self.truncated
            self.truncated = True
            return newly
        self.data += chunk
        return False

    def text(self) -> str:
        return self.data.decode("utf-8", "replace")


class DockerFrames:
    """Splits Docker's multiplexed attach stream (no TTY) into (stream, payload) pairs.

    Each frame is an 8-byte header (stream id: 1 stdout, 2 stderr; 3 zero bytes;
    big-endian payload length) followed by the payload.
    """

    HEADER = struct.Struct(">BxxxI")

    def __init__(self) -> None:
        self._pending = bytearray()

    def feed(self, data: bytes) -> list[tuple[int, bytes]]:
        self._pending += data
        frames: list[tuple[int, bytes]] = []
        while len(self._pending) >= self.HEADER.size:
            stream, size = self.HEADER.unpack_from(self._pending)
            end = self.HEADER.size + size
            if len(self._pending) < end:
                break
            frames.append((stream, bytes(self._pending[self.HEADER.size:end])))
            del self._pending[:end]
        return frames
