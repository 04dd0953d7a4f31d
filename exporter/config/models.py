"""The exporter's config file as pydantic models: the one declaration behind validation,
config.schema.json, the chart's values schema and the README's configuration reference.

Each field's description is its user documentation; keep it a sentence a user can act on.
"""

import re
from typing import Annotated, Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, ValidationInfo, WithJsonSchema, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from exporter.config.connection import (
    AccountId,
    Aws,
    AwsSettings,
    ExternalId,
    Id,
    Name,
    Region,
    RoleArn,
    RoleSessionName,
)
from exporter.config.fields import Duration, HttpUrl, Model, PositiveDuration, Regex, WindowName, parse_duration
from exporter.config.scopes import DiscoveryScope, OrganizationScope
from exporter.config.tag_labels import collisions

# An AWS tag key: 1 to 128 characters (the model's TagKey has no bounds; AWS's tagging rules).
TagKey = Annotated[str, Field(min_length=1, max_length=128)]


class PollSettings(Model):
    """How the exporter polls the API; metrics are served from the last poll."""

    interval: PositiveDuration = Field(30.0, description="Time between polls.")
    max_concurrency: int = Field(8, ge=1, description="Maximum API requests in flight at once.")
    max_requests_per_second: float = Field(
        10.0,
        gt=0,
        description="Client-side rate limit of the API calls to each account and region (AWS throttles each "
        "account-region on its own), keeping the exporter clear of CodeDeploy throttling.",
    )
    retention: Duration = Field(
        86400.0,
        description="How long a finished deployment (Succeeded, Failed, "
        "Stopped) stays exported after it completes; it is not polled again.",
    )
    group_refresh: PositiveDuration = Field(
        600.0,
        description="How often the settings of each followed deployment group are re-read (BatchGetDeploymentGroups).",
    )


class MetricsSettings(Model):
    """What the exposition contains."""

    sparse_status: bool = Field(
        True,
        description="Target, lifecycle-event and task-set status sets "
        "emit only the series of the current status (value 1) instead of one "
        "series per known status. Deployment status sets always emit every status.",
    )
    lifecycle_events: Literal["active", "all"] = Field(
        "active",
        description="`active`: while a deployment runs, every series of its targets; once it "
        "has finished, a target keeps its info, status and last update, and a Failed one also "
        "its failed hook. `all`: every series of every target, finished or not.",
    )
    # Off by default: 12 series per group and hook name (+35,880 at issue 28's 100k mix, past
    # its 700,000-series goal) before any shipped rule reads them.
    lifecycle_event_history: bool = Field(
        False,
        description="Export `codedeploy_deployment_group_lifecycle_event_duration_seconds`: per "
        "deployment group and lifecycle event, a histogram of the hook durations of the targets of "
        "the group's finished deployments held (12 bucket series per hook name, so 120 for an EC2 "
        "group of 10 hooks). Default: off, and no work adding it up.",
    )
    include: tuple[Regex, ...] = Field(
        (".*",),
        strict=False,
        description="Regular expressions; a metric family is exported only if "
        "its name fully matches one. Default: every family.",
    )
    exclude: tuple[Regex, ...] = Field(
        (),
        strict=False,
        description="Regular expressions; a metric family whose name fully matches "
        "one is not exported, even if included.",
    )
    group_tags: tuple[TagKey, ...] = Field(
        (),
        strict=False,
        description="Tag keys of deployment groups exported as labels of "
        "`codedeploy_deployment_group_tags` (one series per followed group, value 1): `team` "
        "becomes `tag_team`, characters other than letters, digits and `_` become `_`, and a "
        "group without the tag has the label empty. Two keys that become the same label are an "
        "error. Tags are read with ListTagsForResource (IAM `codedeploy:ListTagsForResource`) "
        "once per `poll.group_refresh` per group. Default: none, and no calls.",
    )
    lead_time: bool = Field(
        False,
        description="Export `codedeploy_deployment_lead_time_seconds`: from the revision's "
        "registerTime to the completeTime of each Succeeded deployment of a listed group. Reads "
        "each revision once with BatchGetApplicationRevisions (IAM "
        "`codedeploy:BatchGetApplicationRevisions`).",
    )

    @field_validator("group_tags")
    @classmethod
    def _distinct_labels(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        clashes = collisions(keys)
        if clashes:
            raise PydanticCustomError(
                "tag_label_collision",
                "{clashes}",
                {
                    "clashes": "; ".join(
                        f"tag keys {a!r} and {b!r} both become label {label}" for a, b, label in clashes
                    )
                },
            )
        return keys

    windows: tuple[WindowName, ...] = Field(
        ("1d", "7d", "30d"),
        strict=False,
        max_length=6,
        description="The windows of the restart-proof DORA gauges "
        "(`codedeploy_deployment_group_window_*`, label `window` as written here): each a "
        "Prometheus duration. At start, each listed group's finished deployments of the longest "
        "window (plus a day) are read once (ListDeployments and BatchGetDeployments, no targets). "
        "`[]`: no window gauges; the DORA counters remain, and the history is read back only as "
        "far as `duration_window` needs.",
    )
    duration_window: PositiveDuration = Field(
        14 * 86400.0,
        description="The deployments `codedeploy_deployment_group_phase_duration_seconds` describes: "
        "a listed group's deployments that completed within this time, from its history (read back "
        "at start over the longer of this and the longest window, plus a day).",
    )
    change_failure_window: PositiveDuration = Field(
        86400.0,
        description="A change (a deployment that reached users) counts as a change failure with "
        '`cause="redeploy"` when the group\'s next change is a deployment of an earlier revision '
        "created within this time after the change completed.",
    )

    @field_validator("windows")
    @classmethod
    def _distinct_windows(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seconds = [parse_duration(w) for w in value]
        if len(set(seconds)) != len(seconds):
            raise PydanticCustomError("windows", "each window must be a different length")
        return value


class TargetEntry(Model):
    deployment_id: Id = Field(description="The CodeDeploy deployment ID, e.g. `d-ABCDEF123`.")
    target_id: Id = Field(
        description="The target: an EC2/on-premises instance ID, `function:alias` for "
        "Lambda, `cluster:service` for ECS."
    )
    aws: Aws = AwsSettings()


class DeploymentEntry(Model):
    deployment_id: Id = Field(description="The CodeDeploy deployment ID; every target of it is exported.")
    aws: Aws = AwsSettings()


class GroupEntry(Model):
    application: Name = Field(description="CodeDeploy application name.")
    deployment_group: Name = Field(description="Deployment group name.")
    # ListDeployments pages hold 100 IDs; more per group costs a request per deployment per poll.
    latest: int = Field(1, ge=1, le=100, description="How many of the group's most recent deployments to follow.")
    aws: Aws = AwsSettings()


def _queue_url(value: str) -> str:
    if len([part for part in urlsplit(value).path.split("/") if part]) != 2:
        raise PydanticCustomError(
            "queue_url", "must be a queue URL like https://sqs.us-east-1.amazonaws.com/111111111111/name"
        )
    return value


QueueUrl = Annotated[
    HttpUrl,
    AfterValidator(_queue_url),
    WithJsonSchema({"type": "string", "pattern": "^https?://[^\\s/:]+(:[0-9]+)?/[^/\\s]+/[^/\\s]+/?$"}),
]
# https://sqs.<region>.amazonaws.com/<account>/<name> names its region.
_SQS_HOST = re.compile(r"sqs[.-]([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?")


class SqsAwsSettings(Model):
    """`events.aws`: the AWS connection of the event consumer's SQS client. The keys of the
    top-level `aws` block except `endpoint_url`, whose SQS counterpart is `events.endpoint_url`."""

    unsupported: ClassVar[dict[str, str]] = {
        "endpoint_url": "the SQS endpoint is set by events.endpoint_url; aws.endpoint_url is CodeDeploy's"
    }
    region: Region | None = Field(
        None,
        description="AWS region of the SQS queue, e.g. `us-east-1`. Default: the top-level "
        "`aws.region`, else the region in the queue URL's host, else the SDK's.",
    )
    profile: Id | None = Field(
        None,
        description="Named profile from `~/.aws/config` for the SQS calls. "
        "Default: the top-level `aws.profile`, else the SDK's default credential chain.",
    )
    role_arn: RoleArn | None = Field(
        None,
        description="IAM role to assume (STS AssumeRole) before calling SQS; any partition. "
        "Default: the top-level `aws.role_arn`.",
    )
    external_id: ExternalId | None = Field(
        None, description="ExternalId sent with AssumeRole; only meaningful together with `role_arn`."
    )
    role_session_name: RoleSessionName | None = Field(
        None, description="RoleSessionName sent with AssumeRole. Default: the top-level `aws.role_session_name`."
    )
    account_id: AccountId | None = Field(
        None,
        description="Accepted like the top-level key, but unused: "
        "the SQS calls need no account ID (the queue URL names it).",
    )


class EventsSettings(Model):
    """CodeDeploy events from an SQS queue (docs/events.md): a change is exported seconds after it
    happens; polling goes on at `poll.interval` and catches what the queue missed."""

    sqs_queue_url: QueueUrl = Field(
        description="The SQS queue EventBridge (or SNS) delivers CodeDeploy "
        "events to, e.g. `https://sqs.us-east-1.amazonaws.com/111111111111/codedeploy-events`."
    )
    aws: SqsAwsSettings = Field(
        SqsAwsSettings(),
        description="AWS connection for SQS; its set values override the "
        "top-level `aws` block key by key. Its `endpoint_url` is not allowed: the "
        "top-level one is CodeDeploy's, the SQS one is `events.endpoint_url`.",
    )
    endpoint_url: HttpUrl | None = Field(
        None, description="SQS endpoint. Default: the SDK's (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL`, the region's)."
    )
    # ReceiveMessage long-polls for 20 s; a longer debounce would hold received messages past the
    # queue's default 30 s visibility timeout and have them delivered twice.
    debounce: Duration = Field(
        1.0,
        le=20.0,
        description="Events are collected this long after the first "
        "one, then every deployment they name is refreshed in one batch (at most 20s).",
    )

    def effective(self, top: AwsSettings) -> "EventsSettings":
        """`aws` with the top-level block's value for each key it does not set (`endpoint_url`
        aside: that is CodeDeploy's) and, when neither names a region, the queue URL's."""
        inherited = {key: getattr(top, key) for key, value in self.aws if value is None}
        aws = self.aws.model_copy(update=inherited)
        match = _SQS_HOST.fullmatch(urlsplit(self.sqs_queue_url).hostname or "")
        if aws.region is None and match:
            aws = aws.model_copy(update={"region": match.group(1)})
        return self.model_copy(update={"aws": aws})

    @property
    def connection(self) -> AwsSettings:
        """The SQS client's settings: `aws` with the SQS endpoint (never CodeDeploy's)."""
        return AwsSettings(**dict(self.aws), endpoint_url=self.endpoint_url)


class Config(Model):
    """codedeploy-exporter configuration. Every key is optional; null means "use the default"."""

    aws: AwsSettings = Field(
        AwsSettings(), description="AWS connection used by every entry unless the entry overrides it."
    )
    poll: PollSettings = Field(PollSettings(), description="Polling: how often, how fast, how long.")
    metrics: MetricsSettings = Field(MetricsSettings(), description="Which series are exported.")
    targets: tuple[TargetEntry, ...] = Field((), strict=False, description="Individual deployment targets to watch.")
    deployments: tuple[DeploymentEntry, ...] = Field((), strict=False, description="Whole deployments to watch.")
    deployment_groups: tuple[GroupEntry, ...] = Field(
        (),
        strict=False,
        description="Deployment groups whose most recent deployments are followed, with all their targets.",
    )
    discovery: tuple[DiscoveryScope, ...] = Field(
        (),
        strict=False,
        description="Discovery scopes: watch every deployment group of a region "
        "whose names and tags match; one region-wide ListDeployments per scope per poll.",
    )
    organizations: tuple[OrganizationScope, ...] = Field(
        (),
        strict=False,
        description="Organization scopes: discovery in every account and region of an AWS Organization, "
        "the accounts listed by the organization itself.",
    )
    events: EventsSettings | None = Field(
        None, description="Optional: read CodeDeploy's state-change events from SQS and refresh what they name at once."
    )
    # Where the config came from, for messages. Not a config key: parse_config refuses it in files.
    source: SkipJsonSchema[str] = Field("<config>", exclude=True)

    @field_validator("targets", "deployments", "deployment_groups", "discovery", "organizations")
    @classmethod
    def _merge_aws(cls, entries: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        # `aws` is declared first, so it is validated already (absent from data if invalid).
        top: AwsSettings = info.data.get("aws", AwsSettings())
        # Equal settings become one object: per-publish work keyed by settings identity (the
        # account and region labels) then runs once per settings block, not once per entry.
        shared: dict[AwsSettings, AwsSettings] = {top: top}

        def merged(aws: AwsSettings) -> AwsSettings:
            value = aws.merged_over(top)
            return shared.setdefault(value, value)

        return tuple(e.model_copy(update={"aws": merged(e.aws)}) for e in entries)

    @field_validator("events")
    @classmethod
    def _events_aws(cls, events: EventsSettings | None, info: ValidationInfo) -> EventsSettings | None:
        return None if events is None else events.effective(info.data.get("aws", AwsSettings()))


# Entries that would export the same series twice; region and account are not part of the key
# because the same IDs in two regions collide as well.
UNIQUE_KEYS = {
    "targets": ("target", ("deployment_id", "target_id")),
    "deployments": ("deployment", ("deployment_id",)),
    "deployment_groups": ("deployment group", ("application", "deployment_group")),
}
