from enum import StrEnum


class LogLevel(StrEnum):
    FAILURES = "failures"
    FULL = "full"

    def __str__(self) -> str:
        return str(self.value)
