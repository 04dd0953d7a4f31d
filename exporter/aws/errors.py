"""AWS errors as the exporter sees them: an operation and an error code, and whether the error
concerns one deployment or target ID or the API as a whole."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from exporter.config import AwsSettings

# Errors that concern one deployment or target ID, not the API as a whole.
ID_ERRORS = frozenset(
    {
        "DeploymentDoesNotExistException",
        "InvalidDeploymentIdException",
        "DeploymentNotStartedException",
        "DeploymentTargetDoesNotExistException",
        "InvalidDeploymentTargetIdException",
        "InstanceDoesNotExistException",
        "InvalidInstanceNameException",
        "DeploymentTargetListSizeExceededException",
        "TargetNotReturned",
    }
)


# Errors that say the account-region as a whole cannot be reached now: throttled, its role not
# assumable (STS answers AccessDenied, CodeDeploy's own is AccessDeniedException), no
# credentials, the endpoint unreachable. Further calls there this poll would only fail too.
UNREACHABLE = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "AccessDenied",
        "ExpiredToken",
        "InvalidClientTokenId",
        "NoCredentialsError",
        "EndpointConnectionError",
        "ConnectTimeoutError",
        "ReadTimeoutError",
        "ConnectionClosedError",
    }
)


class ApiError(Exception):
    def __init__(self, operation: str, code: str, message: str = "", settings: AwsSettings | None = None) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.settings = settings  # the AWS settings of the client that failed: its account and region

    @property
    def id_specific(self) -> bool:
        return self.code in ID_ERRORS

    @property
    def unreachable(self) -> bool:
        """The account-region cannot be reached now (see UNREACHABLE)."""
        return self.code in UNREACHABLE
