"""The collector is paused while recording and analyzing, and always handed back as it was."""

from __future__ import annotations

import gc

import pulumi
import pulumi_aws as aws
import pytest
from google.protobuf import json_format
from pulumi_policy import policy as pulumi_policy_impl

from offline.analyzer import resource_request
from offline.gc_control import collector_paused
from offline.policy_runner import pack_analyzer
from offline.recorder import run_components


@pytest.fixture
def collector_enabled():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_enabled_again_after(collector_enabled):
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled(collector_enabled):
    gc.disable()
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_nested_blocks_restore_the_outer_setting(collector_enabled):
    with collector_paused():
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_when_the_block_raises(collector_enabled):
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_a_recording_pauses_the_collector_and_hands_it_back(collector_enabled):
    seen = []

    def build():
        seen.append(gc.isenabled())
        aws.s3.Bucket("bucket", region="us-east-1")

    run_components(build)
    assert seen == [False]
    assert gc.isenabled()


def test_a_failing_program_hands_the_collector_back(collector_enabled):
    def build():
        raise pulumi.RunError("bad config")

    with pytest.raises(pulumi.RunError):
        run_components(build)
    assert gc.isenabled()


def test_analysis_hands_back_the_collector_and_pulumi_policys_json_format(collector_enabled):
    analyzer = pack_analyzer(only=["kms-key-rotation"])
    found = analyzer.analyze(resource_request("aws:kms/key:Key", {"enableKeyRotation": False}))
    assert [d.policy for d in found] == ["kms-key-rotation"]
    assert gc.isenabled()
    assert pulumi_policy_impl.json_format is json_format


def test_a_test_session_freezes_what_a_paused_block_leaves_instead_of_collecting_it(monkeypatch):
    """Counted by the calls to `gc.freeze`, not by `gc.get_freeze_count()`: the count also drops
    whenever another thread of the worker (a moto server, the Automation API's readers) frees a
    frozen object, which made the count flaky under load."""
    from offline import gc_control

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    freezes: list[int] = []
    real_freeze = gc.freeze

    def counted_freeze() -> None:
        freezes.append(gc.get_count()[0])
        real_freeze()

    monkeypatch.setattr(gc, "freeze", counted_freeze)
    previous = gc_control._freeze_after_blocks
    try:
        gc_control.freeze_garbage_after_blocks(False)
        with gc_control.collector_paused():
            Cycle()
        assert freezes == []  # left to the next collection

        gc_control.freeze_garbage_after_blocks(True)
        with gc_control.collector_paused():
            Cycle()
        assert len(freezes) == 1  # moved out of every later collection's walk
    finally:
        gc_control.freeze_garbage_after_blocks(previous)
