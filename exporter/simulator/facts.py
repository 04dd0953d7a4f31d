"""The facts table: every API behaviour the simulator implements, with where it comes from.

Each :class:`Fact` says what the simulator does, cites its source, and names the tests that
check it (tests/simulator/test_simulator*.py). Where botocore's service model states the fact, ``model``
says how to read it there and tests/simulator/test_simulator_facts.py compares ``value`` (taken from the
simulator's own constants, not retyped) with the model. Sources are abbreviated:

- ``model:`` botocore's service-2.json (codedeploy 2014-10-06, sts 2011-06-15, organizations
  2016-11-28, account 2021-02-01, iam 2010-05-08), shape/member;
- ``ref:`` the AWS API reference page of that operation (docs.aws.amazon.com/<service>/
  latest/APIReference/API_<Operation>.html) or the SDK reference generated from it;
- ``cli:`` an example of the AWS CLI (github.com/aws/aws-cli, awscli/examples/<service>/...);
- ``moto:`` moto's implementation (moto/codedeploy, moto/sts, moto/organizations, moto/iam),
  cross-checked in tests/simulator/test_simulator_moto.py and test_simulator_cloud_moto.py;
- ``captured:`` `aws deploy get-deployment` output people published (GitHub code search);
- ``assumption:`` not documented anywhere we could find; chosen, and said so.
"""

from __future__ import annotations

from dataclasses import dataclass

from .builders import (
    ALARM_ACTIVE_MESSAGE,
    HEALTH_CONSTRAINTS_MESSAGE,
    MANUAL_STOP_MESSAGE,
)
from .deployments import MAX_BATCH
from .groups import MAX_GROUP_BATCH
from .iam import ALIAS_PATTERN, IAM_NAMESPACE, IAM_VERSION, LIST_ACCOUNT_ALIASES_MEMBERS
from .organization import (
    ACCOUNT_MEMBERS,
    ACCOUNT_STATUSES,
    DEFAULT_REGIONS,
    JOINED_METHOD,
    REGION_OPT_STATUSES,
    Organization,
)
from .organizations_api import DEFAULT_PAGE_SIZE as ORGANIZATIONS_PAGE_SIZE
from .organizations_api import MAX_RESULTS
from .organizations_api import OPERATIONS as ORGANIZATIONS_OPERATIONS
from .organizations_api import TARGET_PREFIX as ORGANIZATIONS_TARGET_PREFIX
from .paging import DEFAULT_PAGE_SIZE
from .records import DEPLOYMENT_STATUSES, OVERVIEW_KEYS, TARGET_KINDS, TARGET_STATUSES
from .regions import DEFAULT_PAGE_SIZE as REGIONS_PAGE_SIZE
from .regions import LIST_REGIONS_PATH
from .regions import MAX_RESULTS as REGIONS_MAX_RESULTS
from .revisions import GENERIC_REVISION_INFO_MEMBERS, MAX_REVISION_BATCH, REGISTERED_BY_DEPLOYMENT
from .roles import DEFAULT_DURATION, DURATION_RANGE, TEMPORARY_KEY_PREFIX
from .state import _OPERATIONS
from .sts import STS_NAMESPACE, STS_VERSION

# What the scenarios and builders emit, declared once so tests can hold them to the model.
SCENARIO_ERROR_CODES = ("HEALTH_CONSTRAINTS", "ALARM_ACTIVE", "MANUAL_STOP")
SCENARIO_CREATORS = ("user", "CloudFormation", "codeDeployRollback")
REVISION_TYPES = ("S3", "GitHub", "AppSpecContent", "String")
GROUP_INFO_MEMBERS = (
    "applicationName",
    "deploymentGroupId",
    "deploymentGroupName",
    "deploymentConfigName",
    "computePlatform",
    "deploymentStyle",
    "serviceRoleArn",
    "autoScalingGroups",
    "triggerConfigurations",
    "autoRollbackConfiguration",
    "alarmConfiguration",
    "lastSuccessfulDeployment",
    "lastAttemptedDeployment",
)
LAST_DEPLOYMENT_MEMBERS = ("deploymentId", "status", "endTime", "createTime")
DEPLOYMENT_INFO_MEMBERS = (
    "applicationName",
    "deploymentGroupName",
    "deploymentConfigName",
    "deploymentId",
    "status",
    "createTime",
    "startTime",
    "completeTime",
    "creator",
    "computePlatform",
    "deploymentStyle",
    "deploymentOverview",
    "errorInformation",
    "revision",
    "rollbackInfo",
    "instanceTerminationWaitTimeStarted",
    "description",
    "blueGreenDeploymentConfiguration",
)
BLUE_GREEN_MEMBERS = ("terminateBlueInstancesOnDeploymentSuccess", "deploymentReadyOption")
BLUE_GREEN_RUN_STATUSES = ("Created", "InProgress", "Ready", "Baking", "Succeeded", "Failed", "Stopped")
ROLLBACK_INFO_MEMBERS = ("rollbackDeploymentId", "rollbackTriggeringDeploymentId", "rollbackMessage")
CALLER_IDENTITY_MEMBERS = ("UserId", "Account", "Arn")
ASSUME_ROLE_PARAMS = ("RoleArn", "RoleSessionName", "ExternalId", "DurationSeconds")
ASSUME_ROLE_MEMBERS = ("Credentials", "AssumedRoleUser")
CREDENTIALS_MEMBERS = ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")
ASSUMED_ROLE_USER_MEMBERS = ("AssumedRoleId", "Arn")
# STS answers these common errors (docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html)
# besides the operation's own; the model lists only the latter.
STS_COMMON_ERRORS = ("AccessDenied", "ValidationError")
# Every error code each Organizations/Account operation can answer with, by service.
_ORGANIZATIONS_ERRORS = ("AccessDeniedException", "AWSOrganizationsNotInUseException", "InvalidInputException")
CLOUD_OPERATION_ERRORS: dict[str, dict[str, tuple[str, ...]]] = {
    "organizations": {
        "ListAccounts": _ORGANIZATIONS_ERRORS,
        "ListAccountsForParent": (*_ORGANIZATIONS_ERRORS, "ParentNotFoundException"),
        "ListOrganizationalUnitsForParent": (*_ORGANIZATIONS_ERRORS, "ParentNotFoundException"),
        "ListRoots": _ORGANIZATIONS_ERRORS,
        "DescribeAccount": (*_ORGANIZATIONS_ERRORS, "AccountNotFoundException"),
    },
    "account": {"ListRegions": ("AccessDeniedException", "ValidationException")},
}
LIST_REGIONS_PARAMS = ("AccountId", "RegionOptStatusContains", "MaxResults", "NextToken")
REGION_MEMBERS = ("RegionName", "RegionOptStatus")
ROOT_MEMBERS = ("Id", "Arn", "Name", "PolicyTypes")
OU_MEMBERS = ("Id", "Arn", "Name")
# Ids and ARNs as an Organization makes them, for the model's patterns.
_EXAMPLE = Organization("111111111111", lambda: 0.0)
EXAMPLE_OU_ID = _EXAMPLE.add_ou("example")
EXAMPLE_ACCOUNT = _EXAMPLE.accounts["111111111111"].answer("111111111111", _EXAMPLE.id)
# Every error code each operation can answer with (besides injected faults).
OPERATION_ERRORS: dict[str, tuple[str, ...]] = {
    "GetDeploymentTarget": (
        "DeploymentIdRequiredException",
        "InvalidDeploymentIdException",
        "DeploymentDoesNotExistException",
        "DeploymentNotStartedException",
        "DeploymentTargetIdRequiredException",
        "InvalidDeploymentTargetIdException",
        "DeploymentTargetDoesNotExistException",
    ),
    "BatchGetDeploymentTargets": (
        "DeploymentIdRequiredException",
        "InvalidDeploymentIdException",
        "DeploymentDoesNotExistException",
        "DeploymentNotStartedException",
        "DeploymentTargetIdRequiredException",
        "InvalidDeploymentTargetIdException",
        "DeploymentTargetDoesNotExistException",
        "DeploymentTargetListSizeExceededException",
    ),
    "ListDeploymentTargets": (
        "DeploymentIdRequiredException",
        "InvalidDeploymentIdException",
        "DeploymentDoesNotExistException",
        "DeploymentNotStartedException",
        "InvalidTargetFilterNameException",
        "InvalidInstanceStatusException",
        "InvalidNextTokenException",
    ),
    "GetDeployment": (
        "DeploymentIdRequiredException",
        "InvalidDeploymentIdException",
        "DeploymentDoesNotExistException",
    ),
    "BatchGetDeployments": (
        "DeploymentIdRequiredException",
        "InvalidDeploymentIdException",
        "BatchLimitExceededException",
    ),
    "ListDeployments": (
        "ApplicationNameRequiredException",
        "DeploymentGroupNameRequiredException",
        "ApplicationDoesNotExistException",
        "DeploymentGroupDoesNotExistException",
        "InvalidDeploymentStatusException",
        "InvalidTimeRangeException",
        "InvalidNextTokenException",
    ),
    "ListApplications": ("InvalidNextTokenException",),
    "ListDeploymentGroups": (
        "ApplicationNameRequiredException",
        "ApplicationDoesNotExistException",
        "InvalidNextTokenException",
    ),
    "BatchGetDeploymentGroups": (
        "ApplicationNameRequiredException",
        "ApplicationDoesNotExistException",
        "DeploymentGroupNameRequiredException",
        "BatchLimitExceededException",
    ),
    "GetDeploymentGroup": (
        "ApplicationNameRequiredException",
        "ApplicationDoesNotExistException",
        "DeploymentGroupNameRequiredException",
        "DeploymentGroupDoesNotExistException",
    ),
    "ListTagsForResource": (
        "ResourceArnRequiredException",
        "InvalidArnException",
        "ArnNotSupportedException",
    ),
    "BatchGetApplicationRevisions": (
        "ApplicationNameRequiredException",
        "ApplicationDoesNotExistException",
        "RevisionRequiredException",
        "InvalidRevisionException",
        "BatchLimitExceededException",
    ),
    "RegisterApplicationRevision": (
        "ApplicationNameRequiredException",
        "ApplicationDoesNotExistException",
        "RevisionRequiredException",
        "InvalidRevisionException",
    ),
}
BATCH_GET_APPLICATION_REVISIONS_MEMBERS = ("applicationName", "errorMessage", "revisions")
REGISTER_APPLICATION_REVISION_PARAMS = ("applicationName", "description", "revision")
CODEDEPLOY_OPERATIONS = tuple(_OPERATIONS)


@dataclass(frozen=True)
class Fact:
    key: str
    behaviour: str
    source: str
    tests: tuple[str, ...]
    value: object = None
    # How tests read the fact from botocore's model: (kind, service, name), kind one of
    # enum (value equals the shape's enum), enum_subset, members (value is a subset of the
    # structure's members), errors (value is a subset of the operation's errors),
    # doc_number (the operation's documentation states value), doc_mentions (the
    # documentation of member Shape.member states value), range (value is a number shape's
    # (min, max)), pattern (value matches the string shape's pattern), request_uri (value is the
    # operation's http requestUri), same_pattern (value is the string shape's pattern itself),
    # protocol, operations.
    model: tuple[str, str, str] | None = None


FACTS: tuple[Fact, ...] = (
    # ---- protocol ------------------------------------------------------------------------
    Fact(
        "codedeploy.protocol",
        "CodeDeploy speaks JSON 1.1: POST / with X-Amz-Target CodeDeploy_20141006.<Operation>, "
        "JSON bodies, errors as {__type, message} with HTTP 400.",
        "model: metadata protocols [smithy-rpc-v2-cbor, json], jsonVersion 1.1, targetPrefix "
        "CodeDeploy_20141006; the installed botocore resolves json (a botocore that picks "
        "CBOR would need the simulator to speak it)",
        ("test_aws_error_codes_reach_boto3", "test_responses_carry_the_json_content_type_and_a_request_id"),
        "json",
        ("protocol", "codedeploy", ""),
    ),
    Fact(
        "codedeploy.operations",
        "The operations the simulator answers; any other is UnknownOperationException.",
        "model: operations",
        ("test_unknown_operation_is_rejected",),
        CODEDEPLOY_OPERATIONS,
        ("operations", "codedeploy", ""),
    ),
    Fact(
        "codedeploy.operation_errors",
        "Each operation answers only with error codes its model declares (OPERATION_ERRORS).",
        "model: operations.<Operation>.errors",
        ("test_aws_error_codes_reach_boto3", "test_each_operation_raises_only_its_model_errors"),
        OPERATION_ERRORS,
        ("errors", "codedeploy", ""),
    ),
    Fact(
        "codedeploy.traffic_weights",
        "ECS task sets' trafficWeight is percent (the two task sets add up to 100.0); Lambda's and "
        "CloudFormation's targetVersionWeight are written as fractions (0.1, 0.5, 1.0).",
        'model: TrafficWeight (a double, documented as "percentage" for all three); ECS: the '
        "Amazon ECS Developer Guide's blue/green tutorial shows get-deployment-target task sets at "
        "0.0 and 100.0; Lambda and CloudFormation: assumption (no published response shows a "
        'value; the exporter reads either scale, README "Traffic weights")',
        (
            "test_demo_ecs_green_task_set_takes_traffic_in_steps_and_succeeds",
            "test_demo_traffic_weights_shift_in_steps_and_the_deployment_succeeds",
        ),
    ),
    Fact(
        "codedeploy.timestamps",
        "Timestamps are epoch seconds (numbers) on the wire.",
        "model: Timestamp (type timestamp; JSON protocols default to unixTimestamp)",
        ("test_validator_rejects_a_misspelled_key_a_bad_enum_and_a_string_timestamp",),
    ),
    Fact(
        "sts.protocol",
        "STS GetCallerIdentity over the Query protocol on the same port: a form-encoded POST "
        "(Action, Version) without X-Amz-Target, answered in XML "
        "(<GetCallerIdentityResponse><GetCallerIdentityResult>...), errors as <ErrorResponse>.",
        "model: sts metadata protocol=query, xmlNamespace; GetCallerIdentity output "
        "resultWrapper GetCallerIdentityResult",
        (
            "test_boto3_sts_client_gets_the_caller_identity_from_the_simulator",
            "test_sts_errors_reach_boto3_as_query_protocol_errors",
        ),
        ("query", STS_VERSION, STS_NAMESPACE),
        ("protocol", "sts", ""),
    ),
    Fact(
        "sts.get_caller_identity",
        "GetCallerIdentity answers UserId, Account, Arn; Account is the simulator's account_id, "
        "or the account set for the request's access key (Simulator.set_account).",
        "model: GetCallerIdentityResponse members; cli: sts/get-caller-identity.rst; moto: sts get_caller_identity",
        (
            "test_boto3_sts_client_gets_the_caller_identity_from_the_simulator",
            "test_caller_identity_has_moto_s_members_and_account",
        ),
        CALLER_IDENTITY_MEMBERS,
        ("members", "sts", "GetCallerIdentityResponse"),
    ),
    Fact(
        "protocol.request_id",
        "Every response carries an x-amzn-RequestId header (a UUID); STS puts it in "
        "ResponseMetadata/RequestId as well.",
        "ref: AWS common response headers; cli/boto3 ResponseMetadata.RequestId",
        ("test_responses_carry_the_json_content_type_and_a_request_id",),
    ),
    Fact(
        "faults.throttling",
        "Injected throttling answers ThrottlingException ('Rate exceeded', HTTP 400), which "
        "boto3's standard retry mode retries; other injected errors carry the code and HTTP "
        "status the test chose.",
        "ref: AWS common errors (ThrottlingException, 400); botocore retry handlers (retries on ThrottlingException)",
        (
            "test_throttle_fails_exactly_the_next_calls_of_that_operation",
            "test_boto3_retries_through_a_throttle",
            "test_injected_errors_carry_their_code_and_http_status",
        ),
    ),
    Fact(
        "calls.accounting",
        "Every call is recorded (Simulator.calls: operation, params, access key id, time, and "
        "the region of the SigV4 credential scope) for call-counting tests; the simulator "
        "checks no signature.",
        "assumption: test tooling, not AWS behaviour; the Authorization header format is "
        "SigV4's (Credential=<key>/<date>/<region>/<service>/aws4_request)",
        (
            "test_calls_are_recorded_with_operation_params_and_access_key",
            "test_calls_record_the_region_the_client_signed_for",
        ),
    ),
    # ---- a Cloud: accounts, Regions, AssumeRole ------------------------------------------
    Fact(
        "cloud.routing",
        "With a Cloud, a CodeDeploy call goes to the Simulator of the account its access key "
        "acts as and the Region of its SigV4 credential scope (Cloud.simulator(account, "
        "region)); each account-Region has its own state, faults and calls. Keys AssumeRole "
        "did not issue (e.g. the static 'testing') act as the management account.",
        "ref: SigV4 (the credential scope names the Region the request is for); IAM User Guide "
        "'Temporary security credentials' (temporary credentials act as the role, in its "
        "account); assumption: a key the simulator did not issue is the management account's",
        (
            "test_codedeploy_calls_reach_the_account_and_region_the_credentials_and_signature_name",
            "test_static_keys_act_as_the_management_account",
        ),
    ),
    Fact(
        "cloud.throttle_scope",
        "Cloud.throttle_scope(account, region): every CodeDeploy call of that account-Region "
        "answers ThrottlingException ('Rate exceeded', HTTP 400) until that Simulator's "
        "clear_faults(); other account-Regions keep answering.",
        "ref: CodeDeploy quotas (API rate quotas apply per account and Region); AWS common errors "
        "(ThrottlingException, 400); assumption: 'forever' is test tooling",
        ("test_a_throttled_account_region_throttles_only_itself",),
    ),
    Fact(
        "cloud.calls",
        "Cloud.calls(service, operation) records every STS, IAM, Organizations and Account call "
        "(operation, params, access key id, signing Region, time); CodeDeploy calls are in "
        "each account-Region Simulator's calls.",
        "assumption: test tooling, not AWS behaviour",
        ("test_cloud_records_sts_calls_with_key_region_and_params",),
    ),
    Fact(
        "sts.assume_role.request",
        "AssumeRole takes RoleArn and RoleSessionName (required), ExternalId and DurationSeconds "
        "(Query parameters; other members are ignored).",
        "model: AssumeRoleRequest members; ref: STS API_AssumeRole.html",
        ("test_assume_role_answers_credentials_for_the_role_s_account",),
        ASSUME_ROLE_PARAMS,
        ("members", "sts", "AssumeRoleRequest"),
    ),
    Fact(
        "sts.assume_role.duration_default",
        "Without DurationSeconds the session lasts 3600 s (Expiration = now + 3600).",
        "model: AssumeRoleRequest.DurationSeconds documentation ('By default, the value is set to 3600 seconds')",
        ("test_session_expiration_follows_duration_seconds",),
        DEFAULT_DURATION,
        ("doc_mentions", "sts", "AssumeRoleRequest.DurationSeconds"),
    ),
    Fact(
        "sts.assume_role.duration_range",
        "DurationSeconds outside 900..43200, or above the role's MaxSessionDuration (default "
        "3600, Cloud.add_role(max_session_duration=...)), is ValidationError (400).",
        "model: roleDurationSecondsType min/max; ref: API_AssumeRole.html DurationSeconds "
        "('If you specify a value higher than this setting ... the operation fails'); IAM "
        "CreateRole MaxSessionDuration (default 3600); assumption: the wording of the message",
        ("test_session_expiration_follows_duration_seconds", "test_assume_role_validates_its_parameters"),
        DURATION_RANGE,
        ("range", "sts", "roleDurationSecondsType"),
    ),
    Fact(
        "sts.assume_role.result",
        "AssumeRole answers Credentials and AssumedRoleUser (in <AssumeRoleResult>).",
        "model: AssumeRoleResponse members, resultWrapper AssumeRoleResult; moto: assume_role (cross-checked)",
        ("test_assume_role_answers_credentials_for_the_role_s_account", "test_assume_role_has_moto_s_shape"),
        ASSUME_ROLE_MEMBERS,
        ("members", "sts", "AssumeRoleResponse"),
    ),
    Fact(
        "sts.assume_role.credentials",
        "Credentials: AccessKeyId (ASIA + 16 uppercase alphanumerics), SecretAccessKey (40 "
        "characters), SessionToken, Expiration (ISO-8601 in the XML, a datetime in boto3).",
        "model: Credentials members (Expiration a timestamp; the Query protocol writes "
        "ISO-8601); ref: IAM User Guide 'unique identifiers' (ASIA: temporary access key); "
        "moto: ASIA keys (cross-checked)",
        ("test_assume_role_answers_credentials_for_the_role_s_account", "test_assume_role_has_moto_s_shape"),
        CREDENTIALS_MEMBERS,
        ("members", "sts", "Credentials"),
    ),
    Fact(
        "sts.temporary_key_prefix",
        "Keys AssumeRole issues start ASIA (long-term keys AKIA).",
        "ref: IAM User Guide 'unique identifiers' (ASIA, AKIA prefixes); moto (cross-checked)",
        ("test_assume_role_answers_credentials_for_the_role_s_account", "test_assume_role_has_moto_s_shape"),
        TEMPORARY_KEY_PREFIX,
    ),
    Fact(
        "sts.assumed_role_user",
        "AssumedRoleUser: AssumedRoleId '<role id AROA...>:<session name>', Arn "
        "'arn:aws:sts::<account>:assumed-role/<role>/<session name>'. GetCallerIdentity with "
        "the issued key answers the same UserId and Arn, and the role's account.",
        "model: AssumedRoleUser members and documentation; ref: API_AssumeRole.html and "
        "API_GetCallerIdentity.html examples (assumed role); moto (cross-checked)",
        (
            "test_assume_role_answers_credentials_for_the_role_s_account",
            "test_caller_identity_of_an_assumed_role_names_the_role_and_its_account",
            "test_assume_role_has_moto_s_shape",
        ),
        ASSUMED_ROLE_USER_MEMBERS,
        ("members", "sts", "AssumedRoleUser"),
    ),
    Fact(
        "sts.assume_role.access_denied",
        "A role the Cloud does not have, or one that requires an ExternalId the call does not "
        "give (or gives wrong), is AccessDenied (HTTP 403): 'User: <caller ARN> is not "
        "authorized to perform: sts:AssumeRole on resource: <RoleArn>'. A role assumed with "
        "an issued key (role chaining) names the assumed-role ARN as the caller.",
        "ref: STS CommonErrors (AccessDenied, 403); IAM User Guide 'external ID' (the trust "
        "policy's sts:ExternalId condition) and 'Troubleshooting IAM roles' (the message)",
        ("test_assume_role_is_denied_without_the_role_or_its_external_id",),
        STS_COMMON_ERRORS,
    ),
    Fact(
        "sts.assume_role.validation",
        "A malformed RoleArn (not arn:aws:iam::<12 digits>:role/[path/]name) or "
        "RoleSessionName (not [\\w+=,.@-]{2,64}) is ValidationError (HTTP 400).",
        "ref: STS CommonErrors (ValidationError, 400); model: roleSessionNameType pattern; "
        "assumption: the wording of the messages",
        ("test_assume_role_validates_its_parameters",),
    ),
    # ---- IAM: ListAccountAliases ------------------------------------------------------------
    Fact(
        "iam.protocol",
        "With a Cloud, IAM speaks the Query protocol on the same port as STS: a form-encoded POST "
        "(Action, Version 2010-05-08) without X-Amz-Target, answered in XML in IAM's namespace "
        "(<ListAccountAliasesResponse><ListAccountAliasesResult>...), errors as <ErrorResponse>. "
        "The SigV4 credential scope's service (iam or sts) tells IAM from STS; an unsigned "
        "request is IAM's if its Version is 2010-05-08.",
        "model: iam metadata protocol query, apiVersion, xmlNamespace; ListAccountAliases output "
        "resultWrapper ListAccountAliasesResult; ref: SigV4 credential scope "
        "(<date>/<region>/<service>/aws4_request)",
        (
            "test_list_account_aliases_answers_the_management_account_s_alias_to_static_keys",
            "test_iam_is_told_from_sts_by_the_credential_scope_or_the_version",
            "test_an_unsigned_iam_form_post_is_told_apart_by_its_version",
            "test_iam_errors_reach_boto3_as_query_protocol_errors",
        ),
        ("query", IAM_VERSION, IAM_NAMESPACE),
        ("protocol", "iam", ""),
    ),
    Fact(
        "iam.list_account_aliases",
        "ListAccountAliases answers the caller's account's alias: AccountAliases [alias], or [] "
        "for an account without one, and IsTruncated false (no Marker). The account is the "
        "access key's, as for every Cloud call: AssumeRole's keys their role's account, other "
        "keys the management account.",
        "model: ListAccountAliasesResponse members (AccountAliases required); ref: IAM "
        "API_ListAccountAliases.html (example: one alias, IsTruncated false); moto: "
        "list_account_aliases per account, [] without alias (cross-checked; moto leaves out "
        "IsTruncated)",
        (
            "test_list_account_aliases_answers_the_management_account_s_alias_to_static_keys",
            "test_list_account_aliases_answers_an_assumed_role_s_account_alias",
            "test_an_account_without_alias_lists_none",
            "test_list_account_aliases_has_moto_s_shape",
        ),
        LIST_ACCOUNT_ALIASES_MEMBERS,
        ("members", "iam", "ListAccountAliasesResponse"),
    ),
    Fact(
        "iam.list_account_aliases.paging",
        "Marker and MaxItems are accepted and ignored: an account's one alias fits any page.",
        "model: ListAccountAliasesRequest members (MaxItems 1..1000); assumption: with at most one "
        "alias there is never a second page",
        ("test_list_account_aliases_answers_the_management_account_s_alias_to_static_keys",),
        ("Marker", "MaxItems"),
        ("members", "iam", "ListAccountAliasesRequest"),
    ),
    Fact(
        "iam.account_alias.pattern",
        "Cloud.set_account_alias(account, alias) takes aliases of 3..63 lowercase letters, digits "
        "and single hyphens, not starting or ending with one (the model's pattern, matched "
        "whole); any other is ValueError.",
        "model: accountAliasType pattern, min 3, max 63",
        (
            "test_set_account_alias_refuses_what_the_model_s_pattern_refuses",
            "test_set_account_alias_takes_what_the_pattern_takes_once_across_accounts",
        ),
        ALIAS_PATTERN,
        ("same_pattern", "iam", "accountAliasType"),
    ),
    Fact(
        "iam.account_alias.one",
        "An account has at most one alias: setting another replaces it, None removes it. An "
        "alias another account holds is ValueError. Any 12-digit account may have one, in the "
        "organization or not.",
        "model: ListAccountAliasesResponse.AccountAliases documentation ('supports only one "
        "alias per account'); ref: API_ListAccountAliases.html ('you can have only one'); "
        "IAM User Guide (an alias must be unique across AWS; CreateAccountAlias's "
        "EntityAlreadyExists); moto: create_account_alias replaces the alias (cross-checked); "
        "assumption: replacing rather than refusing a second alias",
        (
            "test_list_account_aliases_answers_an_assumed_role_s_account_alias",
            "test_set_account_alias_takes_what_the_pattern_takes_once_across_accounts",
            "test_list_account_aliases_has_moto_s_shape",
        ),
        "supports only one alias per account",
        ("doc_mentions", "iam", "ListAccountAliasesResponse.AccountAliases"),
    ),
    Fact(
        "iam.without_cloud",
        "A server without a Cloud (SimulatorServer(Simulator())) answers every IAM call "
        "InvalidAction (HTTP 400), as STS's unknown actions, and records none.",
        "assumption: test tooling (IAM lives in the Cloud); ref: IAM CommonErrors (InvalidAction, 400)",
        ("test_a_server_without_a_cloud_answers_iam_calls_invalid_action",),
    ),
    # ---- Organizations --------------------------------------------------------------------
    Fact(
        "organizations.protocol",
        "Organizations speaks JSON 1.1 on the same port: POST / with X-Amz-Target "
        "AWSOrganizationsV20161128.<Operation>; errors as {__type, Message}.",
        "model: organizations metadata protocol json, targetPrefix AWSOrganizationsV20161128; "
        "error shapes' member Message",
        ("test_organizations_answers_through_boto3_with_model_shapes",),
        ("json", ORGANIZATIONS_TARGET_PREFIX),
        ("protocol", "organizations", ""),
    ),
    Fact(
        "organizations.operations",
        "ListAccounts, ListAccountsForParent, ListOrganizationalUnitsForParent, ListRoots, "
        "DescribeAccount; any other is UnknownOperationException.",
        "model: operations",
        ("test_organizations_answers_through_boto3_with_model_shapes",),
        tuple(ORGANIZATIONS_OPERATIONS),
        ("operations", "organizations", ""),
    ),
    Fact(
        "organizations.errors",
        "Each operation answers only with error codes its model declares.",
        "model: operations.<Operation>.errors",
        ("test_each_operation_raises_only_its_model_errors",),
        CLOUD_OPERATION_ERRORS["organizations"],
        ("errors", "organizations", ""),
    ),
    Fact(
        "organizations.management_only",
        "Only the management account's credentials (its sessions, and keys AssumeRole did not "
        "issue) may call them: a member account gets AccessDeniedException, an account not in "
        "the organization (one that left it) AWSOrganizationsNotInUseException.",
        "ref: organizations API_ListAccounts.html (and the other pages): 'You can only call this "
        "operation from the management account or a member account that is a delegated "
        "administrator'; model: AccessDeniedException, AWSOrganizationsNotInUseException "
        "documentation; assumption: no delegated administrators",
        ("test_member_accounts_are_denied_and_former_members_are_not_in_an_organization",),
    ),
    Fact(
        "organizations.account",
        "An Account: Id, Arn (arn:aws:organizations::<management>:account/o-<org>/<id>), Email, "
        "Name, Status, State, JoinedMethod (CREATED), JoinedTimestamp (epoch seconds, a number "
        "on the wire). The management account is listed too.",
        "model: Account members, AccountArn pattern; ref: API_ListAccounts.html example; moto: "
        "the management account is listed, JoinedMethod CREATED (cross-checked); assumption: "
        "JoinedMethod CREATED for every account",
        (
            "test_list_accounts_lists_the_management_account_and_members_with_their_status",
            "test_organizations_answers_through_boto3_with_model_shapes",
            "test_organizations_listings_have_moto_s_shapes",
        ),
        ACCOUNT_MEMBERS,
        ("members", "organizations", "Account"),
    ),
    Fact(
        "organizations.account_arn",
        "Account ARNs as the model's pattern says.",
        "model: AccountArn pattern",
        ("test_organizations_answers_through_boto3_with_model_shapes",),
        EXAMPLE_ACCOUNT["Arn"],
        ("pattern", "organizations", "AccountArn"),
    ),
    Fact(
        "organizations.account_status",
        "Status is ACTIVE, SUSPENDED or PENDING_CLOSURE (Cloud.set_status) and State carries the "
        "same value (State's PENDING_ACTIVATION and CLOSED are not simulated). Suspended accounts "
        "stay listed; accounts that left (Cloud.remove_account) are not.",
        "model: AccountStatus enum, AccountState enum, Account.Status documentation (Status is "
        "retired in favour of State); ref: API_ListAccounts.html; assumption: State equals "
        "Status for the values both have",
        (
            "test_list_accounts_lists_the_management_account_and_members_with_their_status",
            "test_organizations_listings_have_moto_s_shapes",
        ),
        ACCOUNT_STATUSES,
        ("enum", "organizations", "AccountStatus"),
    ),
    Fact(
        "organizations.account_state",
        "The State values the simulator sets.",
        "model: AccountState enum",
        ("test_list_accounts_lists_the_management_account_and_members_with_their_status",),
        ACCOUNT_STATUSES,
        ("enum_subset", "organizations", "AccountState"),
    ),
    Fact(
        "organizations.joined_method",
        "JoinedMethod is CREATED.",
        "model: AccountJoinedMethod enum; moto (cross-checked); assumption: the Cloud does not model invitations",
        ("test_organizations_listings_have_moto_s_shapes",),
        (JOINED_METHOD,),
        ("enum_subset", "organizations", "AccountJoinedMethod"),
    ),
    Fact(
        "organizations.root",
        "ListRoots answers the organization's one root: Id r-<4 lowercase alphanumerics>, Arn "
        "arn:aws:organizations::<management>:root/o-<org>/<root id>, Name 'Root', PolicyTypes [].",
        "model: Root members, RootId pattern; ref: API_ListRoots.html example; moto (cross-checked)",
        ("test_list_roots_answers_the_one_root", "test_organizations_listings_have_moto_s_shapes"),
        ROOT_MEMBERS,
        ("members", "organizations", "Root"),
    ),
    Fact(
        "organizations.root_id",
        "Root ids as the model's pattern says.",
        "model: RootId pattern",
        ("test_list_roots_answers_the_one_root",),
        _EXAMPLE.root_id,
        ("pattern", "organizations", "RootId"),
    ),
    Fact(
        "organizations.ou",
        "OUs (Cloud.add_ou) have Id ou-<root suffix>-<8 lowercase alphanumerics>, Arn "
        "arn:aws:organizations::<management>:ou/o-<org>/<ou id>, Name; "
        "ListOrganizationalUnitsForParent lists a parent's direct children, "
        "ListAccountsForParent a parent's direct accounts.",
        "model: OrganizationalUnit members, OrganizationalUnitId pattern; ref: "
        "API_ListOrganizationalUnitsForParent.html, API_ListAccountsForParent.html; moto (cross-checked)",
        ("test_accounts_and_ous_are_listed_per_parent", "test_organizations_listings_have_moto_s_shapes"),
        OU_MEMBERS,
        ("members", "organizations", "OrganizationalUnit"),
    ),
    Fact(
        "organizations.ou_id",
        "OU ids as the model's pattern says.",
        "model: OrganizationalUnitId pattern",
        ("test_accounts_and_ous_are_listed_per_parent",),
        EXAMPLE_OU_ID,
        ("pattern", "organizations", "OrganizationalUnitId"),
    ),
    Fact(
        "organizations.not_found",
        "A well-formed ParentId of no root or OU is ParentNotFoundException, a well-formed "
        "AccountId not in the organization AccountNotFoundException; malformed ones "
        "InvalidInputException.",
        "model: ParentId and AccountId patterns, the operations' errors; moto: the same codes "
        "for unknown ids (cross-checked); assumption: the messages",
        ("test_describe_account_and_unknown_ids", "test_organizations_errors_match_moto"),
    ),
    Fact(
        "organizations.max_results",
        "MaxResults is 1..20; outside is InvalidInputException.",
        "model: MaxResults min/max (boto3 also refuses it before sending)",
        ("test_organizations_pages_by_max_results_and_next_token",),
        MAX_RESULTS,
        ("range", "organizations", "MaxResults"),
    ),
    Fact(
        "organizations.paging",
        "List operations page by MaxResults (default 20) with an opaque NextToken while more "
        "remain, none on the last page; a NextToken not issued by the same operation is "
        "InvalidInputException. Accounts are listed in joining order, OUs in creation order.",
        "assumption: AWS documents no default page size (20: the model's maximum) and no order; "
        "ref: API_ListAccounts.html (NextToken null on the last page); moto pages the same "
        "way (cross-checked)",
        ("test_organizations_pages_by_max_results_and_next_token", "test_organizations_listings_have_moto_s_shapes"),
        ORGANIZATIONS_PAGE_SIZE,
    ),
    # ---- Account: ListRegions ----------------------------------------------------------------
    Fact(
        "account.list_regions.protocol",
        "ListRegions speaks rest-json on the same port: POST /listRegions with a JSON body "
        "{AccountId?, RegionOptStatusContains?, MaxResults?, NextToken?} and no X-Amz-Target; "
        "errors as {__type, message} with the error's HTTP status.",
        "model: account metadata protocol rest-json; ListRegions http POST /listRegions; ListRegionsRequest members",
        ("test_list_regions_answers_the_caller_s_regions",),
        LIST_REGIONS_PARAMS,
        ("members", "account", "ListRegionsRequest"),
    ),
    Fact(
        "account.list_regions.path",
        "The request URI the server routes to ListRegions.",
        "model: ListRegions http requestUri",
        ("test_list_regions_answers_the_caller_s_regions",),
        LIST_REGIONS_PATH,
        ("request_uri", "account", "ListRegions"),
    ),
    Fact(
        "account.regions",
        "Regions [{RegionName, RegionOptStatus}] of the caller's account, sorted by name. "
        "RegionOptStatus is one of the model's five; every account has Cloud.add_account's "
        "regions, by default us-east-1, us-west-2, eu-west-1 ENABLED_BY_DEFAULT, ap-east-1 "
        "DISABLED, plus the Cloud's own Region ENABLED_BY_DEFAULT. RegionOptStatusContains "
        "keeps those statuses.",
        "model: Region members, RegionOptStatus enum, ListRegionsRequest documentation; ref: "
        "account API_ListRegions.html; assumption: the default set and the order (AWS "
        "documents none; ap-east-1 is an opt-in Region)",
        ("test_list_regions_answers_the_caller_s_regions", "test_list_regions_filters_by_opt_status_and_pages"),
        REGION_OPT_STATUSES,
        ("enum", "account", "RegionOptStatus"),
    ),
    Fact(
        "account.region_members",
        "The members of each Region answered.",
        "model: Region members",
        ("test_list_regions_answers_the_caller_s_regions",),
        REGION_MEMBERS,
        ("members", "account", "Region"),
    ),
    Fact(
        "account.default_regions",
        "The default Regions and their status.",
        "assumption: a small fixed set with one opt-in Region disabled",
        ("test_list_regions_answers_the_caller_s_regions",),
        tuple(DEFAULT_REGIONS.items()),
    ),
    Fact(
        "account.list_regions.account_id",
        "AccountId: only the management account may give it, and only for a member account: a "
        "member giving any AccountId, or the management account giving one not in the "
        "organization, is AccessDeniedException (403); the management account giving its own "
        "is ValidationException (400).",
        "model: ListRegionsRequest.AccountId documentation ('the caller must be an identity in "
        "the organization's management account or a delegated administrator account'; 'The "
        "management account can't specify its own AccountId'); ref: API_ListRegions.html; "
        "assumption: which of the operation's errors each case answers",
        ("test_list_regions_of_another_account_is_for_the_management_account",),
    ),
    Fact(
        "account.list_regions.errors",
        "ListRegions answers only with error codes its model declares.",
        "model: operations.ListRegions.errors",
        ("test_each_operation_raises_only_its_model_errors",),
        CLOUD_OPERATION_ERRORS["account"],
        ("errors", "account", ""),
    ),
    Fact(
        "account.list_regions.paging",
        "MaxResults 1..50 (default 50), an opaque NextToken while more remain; a bad NextToken or "
        "MaxResults outside the range is ValidationException.",
        "model: ListRegionsRequestMaxResultsInteger min/max; assumption: the default page size "
        "(AWS documents none: the model's maximum) and the error for a bad token",
        ("test_list_regions_filters_by_opt_status_and_pages",),
        REGIONS_MAX_RESULTS,
        ("range", "account", "ListRegionsRequestMaxResultsInteger"),
    ),
    Fact(
        "account.list_regions.page_size",
        "ListRegions' default page size.",
        "assumption: AWS documents none; the model's maximum",
        ("test_list_regions_filters_by_opt_status_and_pages",),
        REGIONS_PAGE_SIZE,
    ),
    # ---- limits and paging ---------------------------------------------------------------
    Fact(
        "BatchGetDeployments.max_ids",
        "BatchGetDeployments takes at most 25 ids; 26 is BatchLimitExceededException.",
        "model: BatchGetDeployments documentation ('The maximum number ... is 25')",
        ("test_aws_error_codes_reach_boto3", "test_batch_limits_are_exact"),
        MAX_BATCH,
        ("doc_number", "codedeploy", "BatchGetDeployments"),
    ),
    Fact(
        "BatchGetDeploymentTargets.max_ids",
        "BatchGetDeploymentTargets takes at most 25 target ids (1 for ECS and Lambda "
        "deployments); more is DeploymentTargetListSizeExceededException.",
        "model: BatchGetDeploymentTargets documentation (25; ECS/Lambda: one target)",
        ("test_aws_error_codes_reach_boto3", "test_batch_limits_are_exact"),
        MAX_BATCH,
        ("doc_number", "codedeploy", "BatchGetDeploymentTargets"),
    ),
    Fact(
        "BatchGetDeploymentGroups.max_names",
        "BatchGetDeploymentGroups takes at most 100 group names of one application; 101 is "
        "BatchLimitExceededException.",
        "ref: AWS SDK for .NET BatchGetDeploymentGroups (BatchLimitExceededException: "
        "'(100)'); issue 11 ('up to 100 groups'); not stated in the botocore model",
        ("test_batch_limits_are_exact",),
        MAX_GROUP_BATCH,
    ),
    Fact(
        "list.page_size",
        "List operations (ListApplications, ListDeploymentGroups, ListDeployments, "
        "ListDeploymentTargets, ListTagsForResource) return pages of Simulator.page_size "
        "(default 100) with an opaque nextToken (NextToken for tags) while more remain.",
        "assumption: AWS documents no page size (the model has no limit member); issue 12's "
        "cost figures assume 100 per ListDeployments page",
        (
            "test_list_deployment_targets_pages_through_every_target",
            "test_region_wide_listing_pages_by_page_size_newest_first",
            "test_application_and_group_listings_page_by_page_size",
            "test_tags_are_paged_with_their_own_token_name",
        ),
        DEFAULT_PAGE_SIZE,
    ),
    Fact(
        "list.bad_token",
        "A nextToken not issued by the same operation is InvalidNextTokenException.",
        "model: List* errors include InvalidNextTokenException",
        ("test_aws_error_codes_reach_boto3", "test_application_and_group_listings_page_by_page_size"),
    ),
    # ---- enums -------------------------------------------------------------------------
    Fact(
        "status.deployment",
        "Deployment statuses: Created, Queued, InProgress, Baking, Succeeded, Failed, Stopped, "
        "Ready; includeOnlyStatuses outside them is InvalidDeploymentStatusException.",
        "model: DeploymentStatus enum",
        ("test_region_wide_listing_filters_by_status_and_create_time",),
        DEPLOYMENT_STATUSES,
        ("enum", "codedeploy", "DeploymentStatus"),
    ),
    Fact(
        "status.target",
        "Target statuses (and ListDeploymentTargets' TargetStatus filter values).",
        "model: TargetStatus enum; ListDeploymentTargets targetFilters documentation",
        ("test_list_deployment_targets_honours_status_and_label_filters",),
        TARGET_STATUSES,
        ("enum", "codedeploy", "TargetStatus"),
    ),
    Fact(
        "target.kinds",
        "deploymentTargetType and the member carrying each kind's body.",
        "model: DeploymentTarget members, DeploymentTargetType enum",
        ("test_each_target_type_reaches_boto3_intact_and_matches_the_model",),
        tuple(TARGET_KINDS),
        ("enum_subset", "codedeploy", "DeploymentTargetType"),
    ),
    Fact(
        "deployment.overview",
        "deploymentOverview counts targets per status (Pending, InProgress, Succeeded, Failed, "
        "Skipped, Ready), derived from the targets unless the scenario set it explicitly.",
        "model: DeploymentOverview members; cli: deploy/get-deployment.rst",
        (
            "test_batch_get_deployments_silently_omits_unknown_ids",
            "test_explicit_deployment_overview_is_kept_and_derived_one_follows_targets",
        ),
        OVERVIEW_KEYS,
        ("members", "codedeploy", "DeploymentOverview"),
    ),
    Fact(
        "deployment.error_codes",
        "errorInformation {code, message} on Failed and Stopped deployments; scenarios use "
        "HEALTH_CONSTRAINTS (failed targets), ALARM_ACTIVE (stopped by a CloudWatch alarm, "
        "message names the alarms) and MANUAL_STOP (stopped by a user).",
        "model: ErrorInformation, ErrorCode enum; captured: HEALTH_CONSTRAINTS and "
        "ALARM_ACTIVE messages; assumption: MANUAL_STOP's message text",
        (
            "test_failed_deployment_reports_its_error_code_and_message",
            "test_stopped_deployment_names_the_alarm_that_stopped_it",
        ),
        SCENARIO_ERROR_CODES,
        ("enum_subset", "codedeploy", "ErrorCode"),
    ),
    Fact(
        "deployment.error_messages",
        "The messages the scenarios use for those codes.",
        "captured: get-deployment output of failed and alarm-stopped deployments",
        ("test_failed_deployment_reports_its_error_code_and_message",),
        (HEALTH_CONSTRAINTS_MESSAGE, ALARM_ACTIVE_MESSAGE, MANUAL_STOP_MESSAGE),
    ),
    Fact(
        "deployment.creators",
        "creator: user for ordinary deployments, CloudFormation for the CloudFormation "
        "blue/green scenario, codeDeployRollback for automatic rollbacks.",
        "model: DeploymentCreator enum and DeploymentInfo.creator documentation",
        ("test_rollback_is_linked_both_ways_and_created_by_codedeployrollback",),
        SCENARIO_CREATORS,
        ("enum_subset", "codedeploy", "DeploymentCreator"),
    ),
    Fact(
        "deployment.revision",
        "revision as RevisionLocation: S3 {bucket, key, bundleType, version, eTag}, GitHub "
        "{repository, commitId}, AppSpecContent {sha256} (content left out, as GetDeployment "
        "documents), String {content, sha256}.",
        "model: RevisionLocation, S3Location, GitHubLocation, AppSpecContent, RawString; "
        "GetDeployment documentation (appSpecContent.content is always null); "
        "cli: deploy/get-deployment.rst (S3 revision)",
        ("test_revisions_of_each_type_reach_boto3",),
        REVISION_TYPES,
        ("enum", "codedeploy", "RevisionLocationType"),
    ),
    Fact(
        "deployment.rollback_info",
        "An automatic rollback: the triggering (Failed/Stopped) deployment carries "
        "rollbackInfo.rollbackDeploymentId; the rollback deployment is created by "
        "codeDeployRollback and carries rollbackTriggeringDeploymentId and the message "
        "'Deployment <rollback> is triggered to roll back deployment <trigger>.'",
        "model: RollbackInfo members; captured: get-deployment of Lambda/ECS rollbacks",
        (
            "test_rollback_is_linked_both_ways_and_created_by_codedeployrollback",
            "test_demo_api_fails_and_is_rolled_back_every_cycle",
        ),
        ROLLBACK_INFO_MEMBERS,
        ("members", "codedeploy", "RollbackInfo"),
    ),
    Fact(
        "deployment.info_members",
        "DeploymentInfo members the simulator fills: names, id, status, create/start/complete "
        "time, creator, computePlatform, deploymentStyle, deploymentOverview, "
        "errorInformation, revision, rollbackInfo, instanceTerminationWaitTimeStarted, "
        "description, blueGreenDeploymentConfiguration (blue/green runs). Absent when unknown "
        "(no startTime before the deployment starts, no "
        "completeTime before it ends).",
        "model: DeploymentInfo members; cli: deploy/get-deployment.rst",
        ("test_every_demo_response_matches_the_model_through_a_whole_cycle",),
        DEPLOYMENT_INFO_MEMBERS,
        ("members", "codedeploy", "DeploymentInfo"),
    ),
    Fact(
        "deployment.termination_wait",
        "instanceTerminationWaitTimeStarted: false while an ECS blue/green deployment shifts, "
        "true once the original task set's termination wait started.",
        "model: DeploymentInfo.instanceTerminationWaitTimeStarted documentation",
        ("test_demo_ecs_termination_wait_starts_when_traffic_has_moved",),
    ),
    Fact(
        "deployment.blue_green_configuration",
        "A blue/green run's DeploymentInfo carries blueGreenDeploymentConfiguration: "
        "terminateBlueInstancesOnDeploymentSuccess {action TERMINATE|KEEP_ALIVE, "
        "terminationWaitTimeInMinutes} and deploymentReadyOption {actionOnTimeout "
        "CONTINUE_DEPLOYMENT|STOP_DEPLOYMENT, waitTimeInMinutes}.",
        "model: DeploymentInfo.blueGreenDeploymentConfiguration, BlueGreenDeploymentConfiguration, "
        "BlueInstanceTerminationOption, DeploymentReadyOption (members and enums InstanceAction, "
        "DeploymentReadyAction); moto: get_deployment answers the group's "
        "blueGreenDeploymentConfiguration (cross-checked)",
        (
            "test_a_blue_green_run_carries_its_configuration_and_waits_in_ready_then_baking",
            "test_a_blue_green_deployment_carries_its_group_s_configuration_as_in_moto",
        ),
        BLUE_GREEN_MEMBERS,
        ("members", "codedeploy", "BlueGreenDeploymentConfiguration"),
    ),
    Fact(
        "deployment.ready_and_baking",
        "A blue/green run (history.BlueGreenRun): InProgress while the replacement is installed; "
        "Ready while it waits to reroute traffic (CONTINUE_DEPLOYMENT: waitTimeInMinutes, none when "
        "0; STOP_DEPLOYMENT: until a person continues it, or Stopped (TIMEOUT) when "
        "waitTimeInMinutes runs out); InProgress while traffic is rerouted; Baking through the "
        "original fleet's termination wait (terminationWaitTimeInMinutes, "
        "instanceTerminationWaitTimeStarted true from its start; KEEP_ALIVE: no wait); then "
        "Succeeded, completeTime at the wait's end.",
        "model: DeploymentStatus enum (Ready, Baking), DeploymentReadyOption.actionOnTimeout and "
        "waitTimeInMinutes documentation ('If traffic rerouting is not started before the end of the "
        "specified wait period, the deployment status is changed to Stopped'), "
        "BlueInstanceTerminationOption documentation, DeploymentInfo.instanceTerminationWaitTimeStarted "
        "documentation; assumption: Baking is the termination wait and a CONTINUE_DEPLOYMENT "
        "waitTimeInMinutes a wait in Ready before rerouting (the model documents neither status; "
        "the ECS console's 'specify when to reroute traffic')",
        (
            "test_a_blue_green_run_carries_its_configuration_and_waits_in_ready_then_baking",
            "test_a_manual_reroute_that_never_comes_stops_the_deployment_when_the_wait_runs_out",
        ),
        BLUE_GREEN_RUN_STATUSES,
        ("enum_subset", "codedeploy", "DeploymentStatus"),
    ),
    # ---- deployments and targets -------------------------------------------------------
    Fact(
        "deployment.not_started",
        "Before a deployment starts (Created), target operations answer "
        "DeploymentNotStartedException; GetDeployment/BatchGetDeployments answer normally.",
        "model: DeploymentNotStartedException on the target operations only",
        ("test_demo_target_operations_wait_until_the_deployment_starts",),
    ),
    Fact(
        "BatchGetDeployments.unknown_ids",
        "BatchGetDeployments leaves unknown (well-formed) ids out of deploymentsInfo.",
        "moto: batch_get_deployments skips unknown ids (cross-checked)",
        (
            "test_batch_get_deployments_silently_omits_unknown_ids",
            "test_batch_get_deployments_omits_unknown_ids_like_moto",
        ),
    ),
    Fact(
        "deployment.id_format",
        "Deployment ids are d- followed by 9 of [A-Z0-9]; others are InvalidDeploymentIdException.",
        "cli: deploy examples (d-A1B2C3123); model: InvalidDeploymentIdException",
        ("test_aws_error_codes_reach_boto3",),
    ),
    Fact(
        "ecs.identifer",
        "ECS task sets spell their id member 'identifer', as the API does.",
        "model: ECSTaskSet.identifer",
        ("test_ecs_task_sets_use_the_api_spelling_identifer",),
        "identifer",
        ("members", "codedeploy", "ECSTaskSet"),
    ),
    # ---- ListDeployments ---------------------------------------------------------------
    Fact(
        "ListDeployments.scope",
        "ListDeployments with applicationName and deploymentGroupName lists that group; with "
        "neither, every deployment of the region (account); one without the other is "
        "DeploymentGroupNameRequiredException / ApplicationNameRequiredException.",
        "model: ListDeploymentsInput applicationName/deploymentGroupName documentation; "
        "moto: list_deployments (cross-checked)",
        (
            "test_region_wide_listing_returns_every_deployment_of_every_group",
            "test_list_deployments_scope_and_validation_match_moto",
        ),
    ),
    Fact(
        "ListDeployments.order",
        "Newest createTime first (ties by id), across pages.",
        "assumption: AWS documents no order; the console and CLI show newest first",
        (
            "test_list_deployments_is_newest_first_and_filters_by_status_and_create_time",
            "test_region_wide_listing_pages_by_page_size_newest_first",
        ),
    ),
    Fact(
        "ListDeployments.external_id",
        "externalId keeps the deployments linked to that external resource (e.g. a CloudFormation stack).",
        "model: ListDeploymentsInput.externalId, DeploymentInfo.externalId",
        ("test_list_deployments_filters_by_external_id",),
    ),
    Fact(
        "ListDeployments.filters",
        "includeOnlyStatuses keeps those statuses; createTimeRange keeps start <= createTime "
        "<= end (either bound optional); start > end is InvalidTimeRangeException.",
        "model: ListDeploymentsInput.includeOnlyStatuses, createTimeRange (TimeRange); "
        "moto: InvalidTimeRangeException and status filtering cross-checked; moto's "
        "list_deployments compares bounds inclusively too (read, not exercised: moto's "
        "create times are its own clock); assumption: AWS's bounds are inclusive",
        (
            "test_region_wide_listing_filters_by_status_and_create_time",
            "test_list_deployments_scope_and_validation_match_moto",
        ),
    ),
    # ---- applications, groups, tags ----------------------------------------------------
    Fact(
        "ListApplications.order",
        "ListApplications lists application names sorted, paged.",
        "assumption: order undocumented; moto lists the same set (cross-checked)",
        ("test_get_deployment_and_application_listings", "test_listings_match_moto"),
    ),
    Fact(
        "ListDeploymentGroups",
        "ListDeploymentGroups answers applicationName and the group names, paged; an unknown "
        "application is ApplicationDoesNotExistException.",
        "model: ListDeploymentGroupsOutput; cli: deploy/list-deployment-groups.rst; moto",
        ("test_get_deployment_and_application_listings", "test_listings_match_moto"),
    ),
    Fact(
        "BatchGetDeploymentGroups.unknown_names",
        "Unknown group names are left out of deploymentGroupsInfo and named in errorMessage; "
        "errorMessage is '' when every name was found. Unknown application: "
        "ApplicationDoesNotExistException.",
        "cli: deploy/batch-get-deployment-groups.rst (errorMessage ''); assumption: the "
        "wording of the message for unknown names",
        ("test_batch_get_deployment_groups_leaves_unknown_names_out_and_says_so",),
    ),
    Fact(
        "DeploymentGroupInfo.members",
        "DeploymentGroupInfo as the CLI example shows it: applicationName, deploymentGroupId "
        "(a UUID), deploymentGroupName, deploymentConfigName, computePlatform, deploymentStyle, "
        "serviceRoleArn, autoScalingGroups [], triggerConfigurations [], "
        "autoRollbackConfiguration {enabled[, events]}, alarmConfiguration when alarms are "
        "set, lastSuccessfulDeployment/lastAttemptedDeployment when there were deployments. "
        "A group not configured with put_deployment_group takes computePlatform, "
        "deploymentConfigName and deploymentStyle from its (non-rollback) deployments.",
        "model: DeploymentGroupInfo; cli: deploy/batch-get-deployment-groups.rst; "
        "moto: get_deployment_group (cross-checked); captured: a rollback may use another "
        "deployment config than its group",
        (
            "test_group_info_follows_its_configuration",
            "test_get_deployment_group_matches_moto",
            "test_an_unconfigured_group_takes_its_platform_from_its_deployments",
            "test_demo_groups_are_configured_like_their_deployments",
            "test_a_group_first_seen_through_a_rollback_is_complete",
        ),
        GROUP_INFO_MEMBERS,
        ("members", "codedeploy", "DeploymentGroupInfo"),
    ),
    Fact(
        "DeploymentGroupInfo.last_deployments",
        "lastAttemptedDeployment is the group's newest deployment by createTime (any status, "
        "endTime once it completed); lastSuccessfulDeployment the newest Succeeded one. Both "
        "follow the deployments as the simulator moves them and survive the deployment's "
        "removal from the simulator.",
        "model: LastDeploymentInfo documentation ('most recent deployment'); "
        "cli: deploy/batch-get-deployment-groups.rst (lastAttemptedDeployment Failed with "
        "endTime); assumption: an in-progress deployment already counts as attempted",
        ("test_last_deployments_follow_the_deployments_the_simulator_moves",),
        LAST_DEPLOYMENT_MEMBERS,
        ("members", "codedeploy", "LastDeploymentInfo"),
    ),
    Fact(
        "ListTagsForResource",
        "A deployment group's ARN is arn:aws:codedeploy:<region>:<account>:deploymentgroup:"
        "<application>/<group>; ListTagsForResource answers its Tags [{Key, Value}] (paged "
        "with NextToken). A malformed ARN is InvalidArnException, a non-CodeDeploy resource "
        "type ArnNotSupportedException, a missing one ResourceArnRequiredException; a "
        "well-formed ARN of an unknown group or another account answers no tags.",
        "model: ListTagsForResourceInput/Output, Tag; moto: deployment group ARN format and "
        "empty tags for unknown resources (cross-checked); assumption: the simulator's "
        "choice of error for malformed ARNs",
        (
            "test_group_tags_are_listed_by_arn",
            "test_list_tags_for_resource_matches_moto",
            "test_bad_arns_are_rejected_with_the_model_s_errors",
        ),
    ),
    # ---- application revisions -------------------------------------------------------
    Fact(
        "BatchGetApplicationRevisions",
        "BatchGetApplicationRevisions answers applicationName, errorMessage and revisions "
        "[{revisionLocation, genericRevisionInfo}]: each registered revision asked for once, in "
        "the order asked, its location as registered. Unregistered revisions are left out and "
        "named in errorMessage, which is '' when every revision was found. An unknown "
        "application is ApplicationDoesNotExistException, none ApplicationNameRequiredException, "
        "no revisions RevisionRequiredException.",
        "model: BatchGetApplicationRevisionsInput/Output, RevisionInfo; ref: "
        "API_BatchGetApplicationRevisions.html; cli: deploy/batch-get-application-revisions.rst "
        "(errorMessage ''); moto: not implemented (moto 5.2.6 answers NotImplementedError), no "
        "cross-check; assumption: unregistered revisions are left out and named, as "
        "BatchGetDeploymentGroups does with unknown names, and the wording of the message",
        (
            "test_registered_revisions_are_read_back_with_their_register_time",
            "test_unregistered_revisions_are_left_out_and_named",
            "test_application_revision_errors_are_the_model_s",
            "test_moto_does_not_implement_application_revisions",
        ),
        BATCH_GET_APPLICATION_REVISIONS_MEMBERS,
        ("members", "codedeploy", "BatchGetApplicationRevisionsOutput"),
    ),
    Fact(
        "revision.registered_by_deployment",
        "An S3 or GitHub revision a deployment uses without being registered before is registered "
        "by the first deployment of it (by createTime, then id): registerTime is that "
        "deployment's createTime and description 'Application revision registered by Deployment "
        "ID: <id>'. A registration of the revision (before or after) takes precedence.",
        "cli: deploy/batch-get-application-revisions.rst (a GitHub revision answered with "
        "description 'Application revision registered by Deployment ID: d-A1B2C3111' and "
        "registerTime = firstUsedTime = lastUsedTime); assumption: S3 revisions alike, String and "
        "AppSpecContent revisions not, and an explicit registration wins",
        ("test_a_revision_deployed_unregistered_is_registered_by_its_first_deployment",),
        REGISTERED_BY_DEPLOYMENT,
    ),
    Fact(
        "BatchGetApplicationRevisions.max_revisions",
        "BatchGetApplicationRevisions takes at most 25 revisions; 26 is BatchLimitExceededException.",
        "model: BatchGetApplicationRevisions documentation ('The maximum number ... is 25')",
        ("test_application_revision_errors_are_the_model_s",),
        MAX_REVISION_BATCH,
        ("doc_number", "codedeploy", "BatchGetApplicationRevisions"),
    ),
    Fact(
        "GenericRevisionInfo",
        "genericRevisionInfo: registerTime (when it was registered), description (when one was "
        "given), firstUsedTime and lastUsedTime (the earliest and latest createTime of the "
        "deployments of the revision the simulator holds; absent while none), deploymentGroups "
        "(the groups whose newest deployment deploys it, sorted; [] when none).",
        "model: GenericRevisionInfo members and their documentation ('When the revision was "
        "registered', 'first used', 'last used', 'the deployment groups for which this is the "
        "current target revision'); assumption: 'used' means a deployment of it was created, "
        "usage is derived from the deployments held (a removed deployment is forgotten)",
        ("test_registered_revisions_are_read_back_with_their_register_time",),
        GENERIC_REVISION_INFO_MEMBERS,
        ("members", "codedeploy", "GenericRevisionInfo"),
    ),
    Fact(
        "revision.identity",
        "A revision is told apart by every S3Location member (bucket, key, bundleType, version, "
        "eTag; a missing one is empty), by GitHub repository and commitId, or by the SHA-256 of "
        "String/AppSpecContent content (its sha256, else the content hashed). A location that does "
        "not name a revision of its type (no bucket or key, no repository or commit, neither "
        "content nor sha256, an unknown revisionType) is InvalidRevisionException.",
        "model: RevisionLocation, S3Location, GitHubLocation, RawString, AppSpecContent; "
        "assumption: AWS documents no matching rule; the strictest one (every member)",
        ("test_unregistered_revisions_are_left_out_and_named", "test_application_revision_errors_are_the_model_s"),
    ),
    Fact(
        "RegisterApplicationRevision",
        "RegisterApplicationRevision (applicationName, revision, description) registers a "
        "revision at the simulator's clock time and answers {}; registering it again replaces "
        "its registerTime and description. Simulator.register_application_revision does the same "
        "with a chosen time and creates the application if missing.",
        "model: RegisterApplicationRevisionInput (no output shape); ref: "
        "API_RegisterApplicationRevision.html; moto: not implemented (moto 5.2.6); assumption: "
        "registering again replaces the time",
        ("test_register_application_revision_through_boto3",),
        REGISTER_APPLICATION_REVISION_PARAMS,
        ("members", "codedeploy", "RegisterApplicationRevisionInput"),
    ),
    # ---- demo --------------------------------------------------------------------------
    Fact(
        "demo.groups",
        "The demo's groups: demo-web (EC2, fails in even cycles, succeeds in odd ones), "
        "demo-ecs (waits in Ready for a manual reroute, then succeeds), demo-lambda, demo-cfn (succeed), "
        "demo-api (fails, then an automatic rollback succeeds), demo-canary (Lambda canary, "
        "stopped by its alarm in even cycles, succeeds in odd ones).",
        "scenarios/ docstrings (the demo's own timeline)",
        (
            "test_demo_api_fails_and_is_rolled_back_every_cycle",
            "test_demo_canary_is_stopped_by_its_alarm_in_even_cycles_only",
            "test_demo_instance_3_fails_application_start_in_an_even_cycle_and_the_deployment_fails",
            "test_demo_web_succeeds_in_the_odd_cycle_after_its_failure",
            "test_demo_ecs_waits_in_ready_for_a_manual_reroute_between_test_and_production_traffic",
        ),
    ),
)

FACTS_BY_KEY = {fact.key: fact for fact in FACTS}


def facts_markdown() -> str:
    """FACTS.md, generated from the table (a test keeps the checked-in file equal to it)."""
    lines = [
        "# Simulator facts",
        "",
        "Generated from `exporter/simulator/facts.py` (`python -m exporter.simulator.facts`);",
        "edit the table, not this file. Sources: see the module docstring.",
        "",
        "| Fact | Behaviour | Source | Model check | Tests |",
        "|---|---|---|---|---|",
    ]
    for fact in FACTS:
        check = f"{fact.model[0]} {fact.model[1]} {fact.model[2]}".strip() if fact.model else ""
        cells = [f"`{fact.key}`", fact.behaviour, fact.source, check, ", ".join(f"`{t}`" for t in fact.tests)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(facts_markdown(), end="")
