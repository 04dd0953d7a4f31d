"""The CodeDeploy read operations the exporter uses, paginated, with errors as ApiError.
Everything outside exporter.aws sees plain dicts. Budgets, counting and errors: exporter.aws.calls.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from exporter.aws.calls import ServiceApi

if TYPE_CHECKING:  # the stubs are a test dependency: never imported at run time
    from mypy_boto3_codedeploy import CodeDeployClient

BATCH_TARGETS_MAX = 25
BATCH_DEPLOYMENTS_MAX = 25
BATCH_GROUPS_MAX = 100  # BatchGetDeploymentGroups: one application, up to 100 group names
BATCH_REVISIONS_MAX = 25  # BatchGetApplicationRevisions: one application, up to 25 revisions


class CodeDeployApi(ServiceApi):
    """The read operations the exporter uses, paginated, with errors as ApiError."""

    service = "codedeploy"
    announces_scope = True

    if TYPE_CHECKING:
        _client: CodeDeployClient

    def batch_get_deployment_targets(self, deployment_id: str, target_ids: list[str]) -> list[dict[str, Any]]:
        response = self._call(
            "BatchGetDeploymentTargets",
            "batch_get_deployment_targets",
            deploymentId=deployment_id,
            targetIds=target_ids,
        )
        return response.get("deploymentTargets") or []

    def batch_get_deployments(self, deployment_ids: list[str]) -> list[dict[str, Any]]:
        response = self._call("BatchGetDeployments", "batch_get_deployments", deploymentIds=deployment_ids)
        return response.get("deploymentsInfo") or []

    def list_deployment_targets(self, deployment_id: str) -> list[str]:
        return self._pages(
            "ListDeploymentTargets", "list_deployment_targets", "targetIds", {"deploymentId": deployment_id}
        )

    def list_deployments(
        self,
        application: str | None,
        group: str | None,
        created_after: float | None = None,
        statuses: tuple[str, ...] = (),
    ) -> list[str]:
        """Deployment IDs, newest first; with no application, every deployment of the region."""
        params: dict[str, Any] = {}
        if application is not None:
            params = {"applicationName": application, "deploymentGroupName": group}
        if created_after is not None:
            params["createTimeRange"] = {"start": datetime.fromtimestamp(created_after, tz=timezone.utc)}
        if statuses:
            params["includeOnlyStatuses"] = list(statuses)
        return self._pages("ListDeployments", "list_deployments", "deployments", params)

    def list_applications(self) -> list[str]:
        return self._pages("ListApplications", "list_applications", "applications", {})

    def list_deployment_groups(self, application: str) -> list[str]:
        return self._pages(
            "ListDeploymentGroups", "list_deployment_groups", "deploymentGroups", {"applicationName": application}
        )

    def batch_get_deployment_groups(self, application: str, names: list[str]) -> list[dict[str, Any]]:
        response = self._call(
            "BatchGetDeploymentGroups",
            "batch_get_deployment_groups",
            applicationName=application,
            deploymentGroupNames=names,
        )
        return response.get("deploymentGroupsInfo") or []

    def list_tags_for_resource(self, arn: str) -> dict[str, str]:
        tags = self._pages("ListTagsForResource", "list_tags_for_resource", "Tags", {"ResourceArn": arn}, "NextToken")
        return {str(tag.get("Key", "")): str(tag.get("Value", "")) for tag in tags}

    def batch_get_application_revisions(self, application: str, revisions: list[dict[str, Any]]) -> dict[str, Any]:
        """RevisionInfo of each registered revision (`revisions`), and `errorMessage`."""
        return self._call(
            "BatchGetApplicationRevisions",
            "batch_get_application_revisions",
            applicationName=application,
            revisions=revisions,
        )
