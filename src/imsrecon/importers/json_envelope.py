"""Where a download's documents sit inside the envelope a portal, an API or a GSP wraps them in.

The portal answers ``{"status_cd": "1", "data": {...}}``, the IMS offline tool writes
``{"imsDetails": {...}}``, GSPs nest further (``{"code": 200, "data": {"data": {...}}}``) or use
names of their own (``result``, ``response``). The body is found by what it holds, at any depth,
never by its envelope's name; facts about the whole download (the recipient's GSTIN, the return
period) are taken from the body or any envelope around it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

# How deep a body may sit (the deepest seen: GSTR-2B at four levels, {code, data:{data:{data:…}}}).
MAX_DEPTH = 8
# Envelope keys looked into first, in this order; any other key holding an object comes after.
ENVELOPE_KEYS = ("data", "imsDetails", "ims_details", "invdata", "result", "response", "payload")
# Keys a download carries beside its sections: an envelope holding only these (and nothing, or
# empty lists) is a download with no documents (an empty month).
META_KEYS = frozenset({
    "status_cd", "status", "code", "message", "chksum", "checksum", "hash", "version", "gendt", "timestamp",
    "gstin", "rtin", "ctin_recipient", "rtnprd", "ret_period", "fp", "success", "txnid", "est",
})  # fmt: skip


@dataclass(frozen=True)
class Found:
    """A body and the envelopes around it (outermost first)."""

    body: dict[str, Any]
    path: tuple[str, ...]
    envelopes: tuple[dict[str, Any], ...]

    def meta(self, keys: Iterable[str]) -> Any:
        """The first non-blank scalar under any of ``keys``: in the body, else in the nearest envelope."""
        keys = tuple(keys)
        for level in (self.body, *reversed(self.envelopes)):
            for k in keys:
                v = level.get(k)
                if isinstance(v, (str, int, float)) and not isinstance(v, bool) and str(v).strip():
                    return v
        return None


def _children(node: dict[str, Any]) -> list[str]:
    first = [k for k in ENVELOPE_KEYS if isinstance(node.get(k), dict)]
    return first + [k for k, v in node.items() if isinstance(v, dict) and k not in first]


def find_body(doc: Any, is_body: Callable[[dict[str, Any]], bool]) -> Found | None:
    """The shallowest object for which ``is_body`` holds (breadth first, envelope keys first), or None.

    Lists are never searched (documents live in lists; envelopes do not), so the search costs
    nothing next to reading the file."""
    if not isinstance(doc, dict):
        return None
    level: list[Found] = [Found(doc, (), ())]
    for _ in range(MAX_DEPTH + 1):
        for found in level:
            if is_body(found.body):
                return found
        level = [
            Found(f.body[k], (*f.path, k), (*f.envelopes, f.body)) for f in level for k in _children(f.body)
        ]
        if not level:
            return None
    return None


def _empty(node: dict[str, Any], section_key: Callable[[str], bool]) -> bool:
    return all(
        (k in META_KEYS and not isinstance(v, (list, dict))) or (section_key(k) and v in ([], {}, None))
        for k, v in node.items()
    )


def empty_download(doc: Any, section_key: Callable[[str], bool]) -> Found | None:
    """The envelope of a download without documents (``{"data": {}}``, ``{"status_cd": "1",
    "data": {}}``, sections that are all empty), or None. The document itself must be an
    envelope (a bare ``{}`` is no download), and everything in it facts or empty sections."""
    if not isinstance(doc, dict) or not any(isinstance(doc.get(k), dict) for k in ENVELOPE_KEYS):
        return None
    node: dict[str, Any] = doc
    path: tuple[str, ...] = ()
    envelopes: tuple[dict[str, Any], ...] = ()
    for _ in range(MAX_DEPTH):
        inner = [k for k in ENVELOPE_KEYS if isinstance(node.get(k), dict)]
        if len(inner) != 1 or not _empty({k: v for k, v in node.items() if k != inner[0]}, section_key):
            break
        envelopes, path, node = (*envelopes, node), (*path, inner[0]), node[inner[0]]
    if not path or not _empty(node, section_key):
        return None
    return Found(node, path, envelopes)


__all__ = ["ENVELOPE_KEYS", "MAX_DEPTH", "META_KEYS", "Found", "empty_download", "find_body"]
