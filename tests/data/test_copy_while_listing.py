"""A new copy job starts copying with the listing's first batch instead of after the whole listing. Real
directories (LocalStore) whose listing is held back or breaks half-way; no mocks."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from homeport.data.copy import copy
from homeport.data.store import Transient
from homeport.data.stores.local import LocalStore
from homeport.data.verify import verify

OBJECTS = 1200  # the listing is journaled 100, then 500 at a time: four batches


class HeldListing(LocalStore):
    """A directory whose listing, after its first 600 objects, waits for `go` (or 20 s) before the rest."""

    def __init__(self, location, go: threading.Event):
        super().__init__(location)
        self.go, self.waited = go, None

    def list(self, prefix=""):
        for i, info in enumerate(super().list(prefix)):
            if i == 600:
                self.waited = self.go.wait(20)
            yield info


class LandingWatch(LocalStore):
    """A destination that sets `landed` when its first object is written."""

    def __init__(self, location, landed: threading.Event):
        super().__init__(location)
        self.landed = landed

    def put(self, key, chunks, metadata=None):
        info = super().put(key, chunks, metadata)
        self.landed.set()
        return info


class BrokenListing(LocalStore):
    """A directory whose listing drops the connection after 700 objects, as a store can mid-listing."""

    def list(self, prefix=""):
        for i, info in enumerate(super().list(prefix)):
            if i == 700:
                raise Transient("The connection to the store was reset while listing.")
            yield info


def _source(root):
    root.mkdir()
    for i in range(OBJECTS):
        (root / f"obj-{i:05d}.bin").write_bytes(b"%d" % i)
    return root


def test_objects_land_while_the_listing_is_still_going(tmp_path):
    src = _source(tmp_path / "src")
    landed = threading.Event()
    held = HeldListing(src, landed)
    result = copy(held, LandingWatch(tmp_path / "dst", landed), journal=tmp_path / "j.sqlite", workers=4)
    # the listing was held after 600 objects until a copy landed: a copy that waited for the whole listing
    # would have let it wait out its 20 s, and `waited` would be False
    assert held.waited is True
    assert result.ok and result.listed == result.copied == OBJECTS
    assert verify(LocalStore(tmp_path / "dst"), manifest=result.manifest).clean


def test_a_listing_that_breaks_half_way_stops_the_copy_and_the_rerun_finishes_it(tmp_path):
    src = _source(tmp_path / "src")
    journal = tmp_path / "j.sqlite"
    with pytest.raises(Transient):
        copy(BrokenListing(src), LocalStore(tmp_path / "dst"), journal=journal, workers=4)
    db = sqlite3.connect(journal)
    states = dict(db.execute("SELECT state, COUNT(*) FROM objects GROUP BY state"))
    db.close()
    # the batch journaled before the break was being copied (what was in flight finished); nothing past it
    assert sum(states.values()) == 600 and set(states) <= {"done", "pending"}

    rerun = copy(LocalStore(src), LocalStore(tmp_path / "dst"), journal=journal, workers=4)
    assert rerun.ok and rerun.listed == OBJECTS
    assert rerun.skipped == states.get("done", 0) and rerun.copied == OBJECTS - rerun.skipped
    assert verify(LocalStore(tmp_path / "dst"), source=LocalStore(src)).clean
