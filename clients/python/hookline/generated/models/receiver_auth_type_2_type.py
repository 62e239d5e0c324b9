from enum import StrEnum


class ReceiverAuthType2Type(StrEnum):
    HEADER = "header"

    def __str__(self) -> str:
        return str(self.value)
