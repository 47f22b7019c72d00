"""Readiness per target and per provider on a tree of seven findings, each figure computed by hand from the
rules' declarations (see report_fixtures.SMALL_TRAIN)."""

from __future__ import annotations

import pytest

from homeport import assess
from homeport.core.model import Target
from homeport.report import readiness as R
from homeport.report.json import to_dict
from report_fixtures import EXAMPLE, write_small_tree


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = write_small_tree(tmp_path_factory.mktemp("small") / "repo")
    return root, to_dict(assess(root))


def test_the_fixture_has_the_seven_findings_it_claims(small):
    _, a = small
    assert sorted((f["rule"], f["path"], f["line"]) for f in a["findings"]) == [
        ("ACC002", "train.py", 6), ("ACC005", "train.py", 7), ("ACC016", "train.py", 5), ("ACC102", "train.py", 3),
        ("CLD007", "train.py", 8), ("DEP001", "requirements.txt", 1), ("DEP102", "requirements.txt", 2)]


@pytest.mark.parametrize("target, blockers, warnings, infos, points", [
    # ROCm keeps cuda and nccl and runs flash-attn: five infos; DEP001 (+cu124 wheel) blocks: 1 point (trivial)
    (Target.ROCM, 1, 0, 5, 1),
    # Gaudi: all six code findings block; four ACC fixes and DEP001 at 1 point, DEP102 (no fix) at 5
    (Target.GAUDI, 6, 0, 0, 10),
    (Target.CPU, 6, 0, 0, 10),
    # the source stack: nothing blocks, nothing costs
    (Target.CUDA, 0, 0, 6, 0),
])
def test_code_readiness_per_target(small, target, blockers, warnings, infos, points):
    _, a = small
    (r,) = R.target_readiness(a["findings"], [target], {})
    assert (r.blockers, r.warnings, r.counts["info"], r.effort.points) == (blockers, warnings, infos, points)


def test_the_port_migrates_the_safe_fixes_only(small):
    root, _ = small
    figures = R.port_in_memory(root, [Target.ROCM])[Target.ROCM]
    t = figures.totals
    # six flagged lines (CLD007 is no code finding); ACC016, ACC002 and ACC005 have safe fixes; ACC102's fix is
    # unsafe and requirements are rewritten only with --unsafe-fixes
    assert (t["flagged_lines"], t["flagged_lines_migrated"], t["share_migrated"]) == (6, 3, 0.5)
    assert (t["references_before"], t["references_converted"], t["references_left"]) == (6, 3, 3)
    assert figures.in_memory and "--target rocm" in figures.basis


def test_libraries_found_with_their_places(small):
    _, a = small
    (found,) = R.libraries_found(a["findings"], a["inventory"])
    assert found.library.library == "flash-attn"
    assert "train.py:3" in found.places and "requirements.txt:2" in found.places
    assert found.library.support["rocm"] == "yes" and found.library.support["gaudi"] == "no"


def test_provider_readiness_adds_the_cloud_findings_to_the_code_of_its_chips(small):
    _, a = small
    by_key = {p.key: p for p in R.provider_readiness(a["findings"], leaving="aws")}
    assert "aws" not in by_key and "azure" not in by_key  # the hyperscalers are left
    ovh = by_key["ovhcloud"]  # NVIDIA chips: the code target is cuda, where nothing blocks
    assert ovh.target is Target.CUDA and ovh.code["blocker"] == 0
    assert ovh.provider_side["warning"] == 1 and ovh.points == 1  # CLD007: one trivial point
    assert ovh.cloud_act == "no" and ovh.cheapest is not None
    gaudi = by_key["intel-tiber-ai-cloud"]  # Gaudi 2 only
    assert gaudi.target is Target.GAUDI and gaudi.code["blocker"] == 6 and gaudi.points == 11
    assert all(source and as_of for _, source, as_of in ovh.refs)


def test_change_logs_give_the_figures_when_the_port_is_not_run(tmp_path):
    from homeport.port.changelog import render_json
    from homeport.port.engine import port
    from homeport.report.evidence import read

    log = tmp_path / "port.json"
    log.write_text(render_json(port(EXAMPLE, target="gaudi")))
    figures = R.port_from_logs([read(log)])
    assert list(figures) == [Target.GAUDI] and not figures[Target.GAUDI].in_memory
    assert str(log) in figures[Target.GAUDI].basis
