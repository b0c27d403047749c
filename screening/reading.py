"""Read a file a user names, bounded: regular files only, never more than a stated size.

A device (`/dev/zero`), a pipe with no writer or a socket is refused at once instead of
being read until memory runs out or waited on forever; a file over the bound is refused
after reading one byte past it.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from screening.errors import Problem, ScreeningError


class ReadError(ScreeningError):
    """A file cannot be read: missing, not a regular file, unreadable or too large."""


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
"""Non-blocking, so opening a pipe with no writer returns at once and can be refused."""

_REASONS = {
    errno.ENOENT: "no such file",
    errno.EACCES: "cannot be read: permission denied",
    errno.EPERM: "cannot be read: permission denied",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "no such file (a part of the path is not a folder)",
    errno.ELOOP: "cannot be read: too many levels of links",
    errno.ENAMETOOLONG: "cannot be read: the name is too long",
}


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "is a pipe, not a regular file; save it to a file first"
    if stat.S_ISSOCK(mode):
        return "is a socket, not a regular file"
    return "is a device, not a regular file"


def read_bounded(path: Path, limit: int, shown: str) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Raises `ReadError` naming `shown` when the file is missing, unreadable, not a regular
    file or larger than `limit` bytes.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        reason = _REASONS.get(exc.errno or 0, f"cannot be read: {exc.strerror or exc}")
        raise ReadError([Problem(shown, reason)]) from None
    except ValueError:  # a NUL byte in the name
        raise ReadError([Problem(shown, "no such file (the name holds a NUL byte)")]) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise ReadError([Problem(shown, _kind(mode))])
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise ReadError([Problem(shown, f"cannot be read: {exc.strerror or exc}")]) from None
    finally:
        os.close(fd)
    if size > limit:
        raise ReadError([Problem(shown, f"file is larger than {limit:,} bytes")])
    return b"".join(chunks)
