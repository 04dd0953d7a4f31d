"""A simulator world for the status page's tests (tests/integration/test_status_page.py and
the browser tests in tests/e2e): a failed EC2 deployment whose script output holds markup and
quotes, an ECS deployment shifting traffic (Green at 30%), and one that succeeded."""

from __future__ import annotations

from exporter.simulator import (
    Simulator,
    deployment_info,
    diagnostics,
    ecs_target,
    instance_target,
    lifecycle_event,
    task_set,
)

NOW = 1_800_000_000.0
EVIL = """<script>document.title="pwned"</script><img src=x onerror='alert(1)'>"""


def world(sim: Simulator) -> list[dict[str, str]]:
    """A failed EC2 deployment (an injected message), an ECS one shifting traffic, and one
    that succeeded, in three groups."""
    failed_hook = lifecycle_event(
        "ApplicationStart",
        "Failed",
        NOW - 70,
        NOW - 65,
        diagnostics("ScriptFailed", "scripts/start.sh", EVIL, f"[stderr]{EVIL}"),
    )
    sim.put_deployment(
        deployment_info(
            "d-FAILED001",
            "web",
            "web-prod",
            "Failed",
            NOW - 600,
            start_time=NOW - 590,
            complete_time=NOW - 60,
            error_information={"code": "HEALTH_CONSTRAINTS", "message": "too many instances failed"},
        ),
        [
            instance_target("d-FAILED001", "i-bad", "Failed", [failed_hook], NOW - 60),
            instance_target("d-FAILED001", "i-good1", "Succeeded", [], NOW - 60),
            instance_target("d-FAILED001", "i-good2", "Succeeded", [], NOW - 60),
        ],
    )
    sets = [
        task_set("ecs-svc/1", "Blue", "PRIMARY", 70.0, 2, 0, 2, "tg-1"),
        task_set("ecs-svc/2", "Green", "ACTIVE", 30.0, 2, 0, 2, "tg-2"),
    ]
    sim.put_deployment(
        deployment_info("d-SHIFTING1", "shop", "shop-prod", "InProgress", NOW - 120, compute_platform="ECS"),
        [
            ecs_target(
                "d-SHIFTING1",
                "cluster:shop",
                "InProgress",
                [lifecycle_event("AllowTraffic", "InProgress", NOW - 30)],
                NOW - 30,
                sets,
            )
        ],
    )
    sim.put_deployment(
        deployment_info("d-FINE00001", "api", "api-prod", "Succeeded", NOW - 900, complete_time=NOW - 800),
        [instance_target("d-FINE00001", "i-api", "Succeeded", [], NOW - 800)],
    )
    return [{"deployment_id": d} for d in ("d-FAILED001", "d-SHIFTING1", "d-FINE00001")]
