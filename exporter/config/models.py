"""The exporter's config file as pydantic models: the one declaration behind validation,
config.schema.json, the chart's values schema and the README's configuration reference.

Each field's description is its user documentation; keep it a sentence a user can act on.
"""

import functools
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator
from pydantic.json_schema import SkipJsonSchema

from exporter.config.fields import Duration, HttpUrl, Matching, Model, PositiveDuration, Regex, Text

# CodeDeploy limits from botocore's model: ApplicationName, DeploymentGroupName 1..100 characters.
Name = Annotated[str, Text(max_length=100)]
# botocore gives DeploymentId and TargetId no pattern, and target IDs differ by platform
# (i-..., function:alias, cluster:service): only a non-empty trimmed string is required.
Id = Annotated[str, Text()]
# botocore validates a region as a DNS label; a stricter shape would refuse future regions.
Region = Annotated[str, Matching(r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?", "an AWS region name like us-east-1")]
RoleArn = Annotated[str, Matching(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+",
                                  "an IAM role ARN like arn:aws:iam::123456789012:role/name")]
ExternalId = Annotated[str, Matching(r"[A-Za-z0-9_+=,.@:/-]{2,}", "2 to 1224 letters, digits or any of _+=,.@:/-",
                                     1224)]
AccountId = Annotated[str, Matching(r"[0-9]{12}", "a 12-digit AWS account ID")]


class AwsSettings(Model):
    """AWS connection; unset values fall back to the AWS SDK's usual sources."""

    region: Region | None = Field(None, description="AWS region of the CodeDeploy API, e.g. `us-east-1`. Default: the "
                       "SDK's (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile).")
    profile: Id | None = Field(None, description="Named profile from `~/.aws/config`. Default: the "
                                   "SDK's default credential chain.")
    role_arn: RoleArn | None = Field(
        None, description="IAM role to assume (STS AssumeRole) before calling CodeDeploy; any partition.")
    external_id: ExternalId | None = Field(
        None, description="ExternalId sent with AssumeRole; only meaningful together with `role_arn`.")
    endpoint_url: HttpUrl | None = Field(None, description="CodeDeploy API endpoint (http:// or https://), "
                                         "e.g. a VPC endpoint or the built-in simulator. Default: AWS's.")
    account_id: AccountId | None = Field(
        None, description="AWS account ID for the `account_id` label, when it is not in `role_arn`. "
        "Default: from `role_arn`, else asked of STS once per credential set.")

    def merged_over(self, base: "AwsSettings") -> "AwsSettings":
        """Field-wise merge: this block's set values win over `base`."""
        return base.model_copy(update={k: v for k, v in self if v is not None})


class PollSettings(Model):
    """How the exporter polls the API; metrics are served from the last poll."""

    interval: PositiveDuration = Field(30.0, description="Time between polls.")
    max_concurrency: int = Field(8, ge=1, description="Maximum API requests in flight at once.")
    max_requests_per_second: float = Field(10.0, gt=0, description="Client-side rate limit over all "
                                           "API calls, keeping the exporter clear of CodeDeploy throttling.")
    retention: Duration = Field(86400.0, description="How long a finished deployment (Succeeded, Failed, "
                                "Stopped) stays exported after it completes; it is not polled again.")
    group_refresh: PositiveDuration = Field(600.0, description="How often the settings of each followed "
                                            "deployment group are re-read (BatchGetDeploymentGroups).")


class MetricsSettings(Model):
    """What the exposition contains."""

    sparse_status: bool = Field(True, description="Target, lifecycle-event and task-set status sets "
                                "emit only the series of the current status (value 1) instead of one "
                                "series per known status. Deployment status sets always emit every status.")
    lifecycle_events: Literal["active", "all"] = Field(
        "active", description="`active`: per-target lifecycle-event series only for targets that did not "
        "succeed or whose deployment is not finished; `all`: for every target.")
    include: tuple[Regex, ...] = Field(
        (".*",), strict=False, description="Regular expressions; a metric family is exported only if "
        "its name fully matches one. Default: every family.")
    exclude: tuple[Regex, ...] = Field(
        (), strict=False, description="Regular expressions; a metric family whose name fully matches "
        "one is not exported, even if included.")


Aws = Annotated[AwsSettings, Field(description="AWS connection for this entry; its set values override "
                                   "the top-level `aws` block key by key.")]


class TargetEntry(Model):
    deployment_id: Id = Field(description="The CodeDeploy deployment ID, e.g. `d-ABCDEF123`.")
    target_id: Id = Field(description="The target: an EC2/on-premises instance ID, `function:alias` for "
                          "Lambda, `cluster:service` for ECS.")
    aws: Aws = AwsSettings()


class DeploymentEntry(Model):
    deployment_id: Id = Field(description="The CodeDeploy deployment ID; every target of it is exported.")
    aws: Aws = AwsSettings()


class GroupEntry(Model):
    application: Name = Field(description="CodeDeploy application name.")
    deployment_group: Name = Field(description="Deployment group name.")
    # ListDeployments pages hold 100 IDs; more per group costs a request per deployment per poll.
    latest: int = Field(1, ge=1, le=100, description="How many of the group's most recent deployments "
                        "to follow.")
    aws: Aws = AwsSettings()


@functools.lru_cache(maxsize=4096)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


class NameFilter(Model):
    """Names to keep: a full match of `include` and none of `exclude`."""

    include: Regex | None = Field(None, description="Regular expression (full match); only matching "
                                  "names are kept. Default: every name.")
    exclude: Regex | None = Field(None, description="Regular expression (full match); matching names "
                                  "are dropped, even if included.")

    def matches(self, name: str) -> bool:
        if self.include is not None and not _compiled(self.include).fullmatch(name):
            return False
        return self.exclude is None or not _compiled(self.exclude).fullmatch(name)


class DiscoveryScope(Model):
    """The deployment groups of one region (and role) whose names and tags match."""

    aws: Aws = AwsSettings()
    applications: NameFilter = Field(NameFilter(), description="Which applications to watch.")
    deployment_groups: NameFilter = Field(NameFilter(), description="Which deployment groups to watch.")
    tags: dict[str, Regex] = Field({}, strict=False, description="Deployment-group tags that must all be "
                                   "present, each value a regular expression (full match). Default: no "
                                   "tag filter, and no ListTagsForResource calls.")
    latest: int = Field(1, ge=1, le=100, description="How many of each group's most recent deployments "
                        "to follow.")
    refresh: PositiveDuration = Field(600.0, description="How often applications, groups and tags are "
                                      "re-read (ListApplications, ListDeploymentGroups, "
                                      "ListTagsForResource), spread over polls.")

    def tags_match(self, tags: Mapping[str, str]) -> bool:
        return all(key in tags and _compiled(pattern).fullmatch(tags[key])
                   for key, pattern in self.tags.items())


class Config(Model):
    """codedeploy-exporter configuration. Every key is optional; null means "use the default"."""

    aws: AwsSettings = Field(AwsSettings(), description="AWS connection used by every entry unless "
                             "the entry overrides it.")
    poll: PollSettings = Field(PollSettings(), description="Polling: how often, how fast, how long.")
    metrics: MetricsSettings = Field(MetricsSettings(), description="Which series are exported.")
    targets: tuple[TargetEntry, ...] = Field(
        (), strict=False, description="Individual deployment targets to watch.")
    deployments: tuple[DeploymentEntry, ...] = Field(
        (), strict=False, description="Whole deployments to watch.")
    deployment_groups: tuple[GroupEntry, ...] = Field(
        (), strict=False, description="Deployment groups whose most recent deployments are followed, "
        "with all their targets.")
    discovery: tuple[DiscoveryScope, ...] = Field(
        (), strict=False, description="Discovery scopes: watch every deployment group of a region "
        "whose names and tags match; one region-wide ListDeployments per scope per poll.")
    # Where the config came from, for messages. Not a config key: parse_config refuses it in files.
    source: SkipJsonSchema[str] = Field("<config>", exclude=True)

    @field_validator("targets", "deployments", "deployment_groups", "discovery")
    @classmethod
    def _merge_aws(cls, entries: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        # `aws` is declared first, so it is validated already (absent from data if invalid).
        top = info.data.get("aws", AwsSettings())
        return tuple(e.model_copy(update={"aws": e.aws.merged_over(top)}) for e in entries)


# Entries that would export the same series twice; region and account are not part of the key
# because the same IDs in two regions collide as well.
UNIQUE_KEYS = {"targets": ("target", ("deployment_id", "target_id")),
               "deployments": ("deployment", ("deployment_id",)),
               "deployment_groups": ("deployment group", ("application", "deployment_group"))}
