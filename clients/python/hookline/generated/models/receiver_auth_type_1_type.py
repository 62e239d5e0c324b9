from enum import StrEnum


class ReceiverAuthType1Type(StrEnum):
    BEARER = "bearer"

    def __str__(self) -> str:
        return str(self.value)
