from enum import StrEnum


class SignatureAlgorithm(StrEnum):
    ECDSA_P256_SHA256 = "ecdsa-p256-sha256"
    ED25519 = "ed25519"

    def __str__(self) -> str:
        return str(self.value)
