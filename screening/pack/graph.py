"""The follow-up graph of a pack: the questions an item hangs on, and circular `asked_if`.

Linear and iterative, so a long chain in a refused pack cannot exhaust the stack.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping


def with_parents(items: tuple[str, ...], parents: Mapping[str, tuple[str, ...]]) -> list[str]:
    """The items and, transitively, the questions that decide whether they are asked."""
    found: dict[str, None] = {}
    pending = deque(items)
    while pending:
        item = pending.popleft()
        if item not in found:
            found[item] = None
            pending.extend(parents.get(item, ()))
    return list(found)


def cyclic_components(depends: Mapping[str, list[str]]) -> dict[str, int]:
    """Items on a dependency cycle, each mapped to its strongly connected component.

    Tarjan's algorithm, iterative, so it is linear and a long chain cannot exhaust the stack.
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cyclic: dict[str, int] = {}
    counter = 0
    for root in depends:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(depends.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next(edges, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(depends.get(nxt, ()))))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1 or node in depends.get(node, ()):
                    cyclic.update((m, index[node]) for m in members)
    return cyclic


def path_back(
    start: str, depends: Mapping[str, list[str]], component: Mapping[str, int]
) -> list[str]:
    """A shortest dependency path from `start` back to itself within its cycle (breadth first)."""
    group = component[start]
    came_from: dict[str, str] = {}
    queue: deque[str] = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in depends.get(node, ()):
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return path[::-1]
            if component.get(nxt) == group and nxt not in came_from:
                came_from[nxt] = node
                queue.append(nxt)
    return [start]
