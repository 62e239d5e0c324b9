from enum import StrEnum


class ReceiverAuthType0Type(StrEnum):
    BASIC = "basic"

    def __str__(self) -> str:
        return str(self.value)
