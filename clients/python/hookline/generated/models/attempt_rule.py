from enum import StrEnum


class AttemptRule(StrEnum):
    DELIVERED = "delivered"
    GONE = "gone"
    REDIRECT = "redirect"
    RETRY = "retry"
    SLOW_DOWN = "slow_down"

    def __str__(self) -> str:
        return str(self.value)
