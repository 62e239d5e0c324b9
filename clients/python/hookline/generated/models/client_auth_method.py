from enum import StrEnum


class ClientAuthMethod(StrEnum):
    BASIC = "basic"
    BODY = "body"

    def __str__(self) -> str:
        return str(self.value)
