"""How the exporter reaches AWS: the `aws:` blocks (region, profile, role, endpoint) and the
identifier types they and the entries share."""

from typing import Annotated

from pydantic import Field

from exporter.config.fields import HttpUrl, Matching, Model, Text

# CodeDeploy limits from botocore's model: ApplicationName, DeploymentGroupName 1..100 characters.
Name = Annotated[str, Text(max_length=100)]
# botocore gives DeploymentId and TargetId no pattern, and target IDs differ by platform
# (i-..., function:alias, cluster:service): only a non-empty trimmed string is required.
Id = Annotated[str, Text()]
# botocore validates a region as a DNS label; a stricter shape would refuse future regions.
REGION_PATTERN = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
Region = Annotated[str, Matching(REGION_PATTERN, "an AWS region name like us-east-1")]
RoleArn = Annotated[
    str,
    Matching(
        r"arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+",
        "an IAM role ARN like arn:aws:iam::123456789012:role/name",
    ),
]
ExternalId = Annotated[
    str, Matching(r"[A-Za-z0-9_+=,.@:/-]{2,}", "2 to 1224 letters, digits or any of _+=,.@:/-", 1224)
]
# botocore's sts model: roleSessionNameType.
RoleSessionName = Annotated[str, Matching(r"[\w+=,.@-]{2,64}", "2 to 64 letters, digits or any of _+=,.@-", 64)]
AccountId = Annotated[str, Matching(r"[0-9]{12}", "a 12-digit AWS account ID")]


class AwsSettings(Model):
    """AWS connection; unset values fall back to the AWS SDK's usual sources."""

    region: Region | None = Field(
        None,
        description="AWS region of the CodeDeploy API, e.g. `us-east-1`. Default: the "
        "SDK's (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile).",
    )
    profile: Id | None = Field(
        None, description="Named profile from `~/.aws/config`. Default: the SDK's default credential chain."
    )
    role_arn: RoleArn | None = Field(
        None, description="IAM role to assume (STS AssumeRole) before calling CodeDeploy; any partition."
    )
    external_id: ExternalId | None = Field(
        None, description="ExternalId sent with AssumeRole; only meaningful together with `role_arn`."
    )
    role_session_name: RoleSessionName | None = Field(
        None,
        description="RoleSessionName sent with AssumeRole, which CloudTrail shows as who called. "
        "Default: `codedeploy-exporter`.",
    )
    endpoint_url: HttpUrl | None = Field(
        None,
        description="CodeDeploy API endpoint (http:// or https://), "
        "e.g. a VPC endpoint or the built-in simulator. Default: AWS's.",
    )
    account_id: AccountId | None = Field(
        None,
        description="AWS account ID for the `account_id` label, when it is not in `role_arn`. "
        "Default: from `role_arn`, else asked of STS once per credential set.",
    )

    def merged_over(self, base: "AwsSettings") -> "AwsSettings":
        """Field-wise merge: this block's set values win over `base`."""
        return base.model_copy(update={k: v for k, v in self if v is not None})


Aws = Annotated[
    AwsSettings,
    Field(description="AWS connection for this entry; its set values override the top-level `aws` block key by key."),
]
