"""Where a deployment lives: account id, region and partition of an AWS settings block.

The account id is read from the role ARN (arn:<partition>:iam::<account>:role/...); without a
role it is unknown ("") until the metric-model work resolves it another way.
"""

from __future__ import annotations

from exporter.config import AwsSettings


def partition_of(aws: AwsSettings, region: str) -> str:
    parts = (aws.role_arn or "").split(":")
    if len(parts) > 2 and parts[1].startswith("aws"):
        return parts[1]
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def group_arn(partition: str, region: str, account: str, application: str, group: str) -> str:
    # DeploymentGroupInfo carries no ARN; this is the documented resource format.
    return f"arn:{partition}:codedeploy:{region}:{account}:deploymentgroup:{application}/{group}"
