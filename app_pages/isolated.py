"""Check a reviewer's candidate pack in a process of its own, killed when its time is up.

Every session of the app shares one Python process and its interpreter lock: a check that
works hard in a session's thread slows every other session. In a child process it runs on
another core, the other sessions stay responsive, and a check that runs past
`CANDIDATE_CHECK_SECONDS` is killed and reported, never waited on. The zip goes to the
child through a pipe, in memory; nothing is written to disk.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from screening import (
    CANDIDATE_CHECK_SECONDS,
    Candidate,
    PackError,
    Problem,
    load_pack,
    review_candidate,
)

_SPAWN = multiprocessing.get_context("spawn")
"""A fresh interpreter: forking a server that runs threads could copy a held lock."""


def _review(data: bytes, name: str, shipped_dir: str) -> Candidate | tuple[Problem, ...]:
    """In the child: the candidate's review against the shipped pack, or why it is refused."""
    try:
        return review_candidate(data, name, load_pack(shipped_dir), Path(shipped_dir))
    except PackError as exc:
        return tuple(exc.problems)


def _child(connection: Connection, data: bytes, name: str, shipped_dir: str) -> None:
    try:
        connection.send(("done", _review(data, name, shipped_dir)))
    except BaseException as exc:  # reported to the parent, which shows it plainly
        connection.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


class CheckFailedError(Exception):
    """The check ran out of time or stopped unexpectedly; the message says which."""


def review_isolated(
    data: bytes, name: str, shipped_dir: str, seconds: float = CANDIDATE_CHECK_SECONDS
) -> Candidate | tuple[Problem, ...]:
    """`review_candidate` in a child process, bounded by `seconds` of wall-clock time.

    Returns the review or the problems that refuse the pack; raises `CheckFailedError`
    when the time is up (the child is killed) or the child fails.
    """
    receiver, sender = _SPAWN.Pipe(duplex=False)
    child = _SPAWN.Process(target=_child, args=(sender, data, name, shipped_dir), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise CheckFailedError(
                f"the check did not finish within {seconds:g} seconds and was stopped; "
                "a pack this slow to check is too large or too complex"
            )
        outcome: tuple[str, Any] = receiver.recv()
    except EOFError:
        raise CheckFailedError("the check stopped unexpectedly") from None
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()
    status, value = outcome
    if status != "done":
        raise CheckFailedError(f"the check failed ({value})")
    result: Candidate | tuple[Problem, ...] = value
    return result
