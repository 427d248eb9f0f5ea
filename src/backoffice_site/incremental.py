"""What makes rebuilds incremental: stable digests of plain values and the recorder of what a page reads.

A page's dependencies are never written by hand. Its view (the one value its template or serializer
sees) is digested, so a page is rendered again exactly when something it shows changed; and while the
view is built, every read of the linked site goes through a ``Reads`` recorder, so the build knows which
pages to look at again when one input changes (the reverse index).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import pickle
from collections.abc import Sequence
from typing import Any

from backoffice_site.diagnostics import Loc

Key = tuple[str, ...]  # an input of pages: ("article", slug), ("terms",), ("config",) …


# dataclass type with DIGEST_SKIP → the names of the fields that are digested (``dataclasses.fields`` is
# slow, and a build digests thousands of terms and articles)
_KEPT_FIELDS: dict[type, tuple[str, ...]] = {}


def _kept_fields(cls: type) -> tuple[str, ...]:
    names = _KEPT_FIELDS.get(cls)
    if names is None:
        skip = getattr(cls, "DIGEST_SKIP", ())
        names = _KEPT_FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls) if f.name not in skip)
    return names


def _loc(obj: Loc) -> tuple[Any, ...]:
    return str, ("",)


_MEMO = "_digest_of_kept_fields"


def _kept(obj: Any) -> tuple[Any, ...]:
    """A frozen dataclass with DIGEST_SKIP stands in a digest for the digest of its other fields, computed once
    per object and kept on it (a term appears in the views of a dozen pages and in several inputs' values:
    pickling its sources and see-also each time was most of what a cold build spent on digests)."""
    memo = obj.__dict__.get(_MEMO)
    if memo is None:
        memo = digest(tuple(getattr(obj, name) for name in _kept_fields(type(obj))))
        obj.__dict__[_MEMO] = memo  # a frozen dataclass: the fields, and so the digest, never change
    return str, (memo,)


class _Reducers(dict[type, Any]):
    """The digest pickler's dispatch table: places in source files (``Loc``) become "", and a frozen dataclass
    with DIGEST_SKIP becomes the digest of its other fields (``_kept``). Looked up by the pickler only for
    objects that are not plain data (a ``reducer_override`` was called for every tuple, list and dict: a
    third of the cost)."""

    def __missing__(self, cls: type) -> Any:
        if issubclass(cls, Loc):
            self[cls] = _loc
            return _loc
        params = getattr(cls, "__dataclass_params__", None)
        if getattr(cls, "DIGEST_SKIP", None) is not None and params is not None and params.frozen \
                and hasattr(cls, "__dict__") and "__slots__" not in cls.__dict__:
            self[cls] = _kept
            return _kept
        raise KeyError(cls)  # pickled as usual


_REDUCERS = _Reducers()


class _DigestPickler(pickle.Pickler):
    """Pickles for digests only: places in source files (``Loc``, line numbers) are left out, so moving
    an entry within its file does not count as a change of what pages show."""

    dispatch_table = _REDUCERS


def digest(value: object) -> str:
    """A stable digest of plain data (tuples, strings, numbers, dates, frozen dataclasses); pickle is several
    times faster than repr() on Japanese text and just as deterministic for these types."""
    buf = io.BytesIO()
    pickler = _DigestPickler(buf, protocol=5)
    pickler.fast = True  # no memo: equal values give equal bytes whether or not they are the same object
    pickler.dump(value)
    return hashlib.blake2b(buf.getvalue(), digest_size=16).hexdigest()


def same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    """Whether ``a`` and ``b`` hold the very same objects in the same order: what reuse by identity asks of
    the parts a value was made from (cheaper than comparing them, and never fooled by equal copies)."""
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


class Reads:
    """Records the inputs a page's view was built from (see ``linked.LinkedSite``)."""

    def __init__(self) -> None:
        self.keys: set[Key] = set()

    def add(self, key: Key) -> None:
        self.keys.add(key)
