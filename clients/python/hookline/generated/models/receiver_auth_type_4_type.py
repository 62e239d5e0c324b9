from enum import StrEnum


class ReceiverAuthType4Type(StrEnum):
    MTLS = "mtls"

    def __str__(self) -> str:
        return str(self.value)
