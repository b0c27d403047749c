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

from screening.catalogue import N_, Said
from screening.errors import Problem, ScreeningError, larger_than


class ReadError(ScreeningError):
    """A file cannot be read: missing, not a regular file, unreadable or too large."""


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
"""Non-blocking, so opening a pipe with no writer returns at once and can be refused."""

_REASONS = {
    errno.ENOENT: N_("no such file"),
    errno.EACCES: N_("cannot be read: permission denied"),
    errno.EPERM: N_("cannot be read: permission denied"),
    errno.EISDIR: N_("is a folder, not a file"),
    errno.ENOTDIR: N_("no such file (a part of the path is not a folder)"),
    errno.ELOOP: N_("cannot be read: too many levels of links"),
    errno.ENAMETOOLONG: N_("cannot be read: the name is too long"),
}


def _kind(mode: int) -> Said:
    if stat.S_ISDIR(mode):
        return Said(N_("is a folder, not a file"))
    if stat.S_ISFIFO(mode):
        return Said(N_("is a pipe, not a regular file; save it to a file first"))
    if stat.S_ISSOCK(mode):
        return Said(N_("is a socket, not a regular file"))
    return Said(N_("is a device, not a regular file"))


def _cannot_read(exc: OSError) -> Said:
    """The system's reason (its own words) a file cannot be read."""
    return Said(N_("cannot be read: {reason}"), reason=str(exc.strerror or exc))


def read_bounded(path: Path, limit: int, shown: str) -> bytes:
    """The bytes of the regular file at `path`, at most `limit` of them.

    Raises `ReadError` naming `shown` when the file is missing, unreadable, not a regular
    file or larger than `limit` bytes.
    """
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError as exc:
        known = _REASONS.get(exc.errno or 0)
        reason = _cannot_read(exc) if known is None else Said(known)
        raise ReadError([Problem(shown, reason)]) from None
    except ValueError:  # a NUL byte in the name
        raise ReadError(
            [Problem(shown, Said(N_("no such file (the name holds a NUL byte)")))]
        ) from None
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
        raise ReadError([Problem(shown, _cannot_read(exc))]) from None
    finally:
        os.close(fd)
    if size > limit:
        raise ReadError([Problem(shown, larger_than(limit))])
    return b"".join(chunks)
