from enum import StrEnum


class AttemptError(StrEnum):
    AUTH_TOKEN = "auth_token"
    BLOCKED_ADDRESS = "blocked_address"
    CONNECTION = "connection"
    DNS = "dns"
    HTTP_STATUS = "http_status"
    INVALID_URL = "invalid_url"
    REQUEST = "request"
    TIMEOUT = "timeout"

    def __str__(self) -> str:
        return str(self.value)
