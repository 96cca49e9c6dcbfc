"""The benchmark's floor is the same stack without the program: same resources, same shape."""

from __future__ import annotations

from offline.bench import PROD_REGIONS, _Floor, format_report
from offline.recorder import run_program
from offline.stacks import PROJECT, stack_file_config


def test_the_floor_registers_the_programs_resources_in_the_same_shape(prod_stack):
    config = stack_file_config()
    floor = run_program(_Floor(prod_stack).program, config=config, project=PROJECT, stack="prod")
    program = prod_stack.by_urn()
    assert floor.urns() == set(program)
    for resource in floor.resources:
        recorded = program[resource.urn]
        assert (resource.type, resource.parent) == (recorded.type, recorded.parent)
        assert (resource.provider is None) == (recorded.provider is None), resource.urn
    # Registered through the pulumi-aws and pulumi-kubernetes classes, with the same inputs
    # (secrets included: still secret).
    assert [r.urn for r in floor.resources if r.inputs != program[r.urn].inputs] == []
    # One dependency each where the program's resource has one registered before it.
    with_dependency = [r for r in floor.resources if r.dependencies]
    assert len(with_dependency) >= 0.8 * sum(1 for r in prod_stack.resources if r.dependencies)


def test_the_report_prints_every_figure():
    stack = {
        "regions": PROD_REGIONS,
        "resources": 676,
        "renderSeconds": 1.5,
        "renderMsPerResource": 2.22,
        "floorSeconds": 1.2,
        "floorMsPerResource": 1.78,
        "ratio": 1.25,
        "ratioRange": [1.2, 1.3],
        "packSeconds": 0.7,
        "packPassed": True,
        "peakRssMiB": 258.0,
    }
    report = format_report([stack], {"seconds": 4.2, "peakRssMiB": 217.0}, repeat=3)
    row = (
        "| prod (6 regions) | 676 | 1.50 s | 2.22 | 1.20 s | 1.78 | 1.25 (1.20 to 1.30) "
        "| 0.70 s | 258 MiB |"
    )
    assert row in report
    assert "make plan" in report and "4.20 s, peak RSS 217 MiB" in report
