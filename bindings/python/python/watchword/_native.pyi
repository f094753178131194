# Type stubs of the compiled module watchword._native (checked against it by stubtest).
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Final, Iterable, Mapping, Union, final
from typing_extensions import Self, disjoint_base

if TYPE_CHECKING:
    from ._service import ChallengeDetails, Verify

_Time = Union[int, float, datetime]

__all__ = [
    "Binding",
    "Challenge",
    "ChallengeAlreadyResponded",
    "ChallengeAttemptsReached",
    "ChallengeCreationLimitReached",
    "ChallengeExpired",
    "ChallengeNotFound",
    "Check",
    "Conflict",
    "ERROR_KINDS",
    "Entity",
    "EntityAlreadyExists",
    "EntityNotFound",
    "Factor",
    "FactorConfig",
    "FactorCreationRateLimited",
    "FactorLimitReached",
    "FactorLocked",
    "FactorNotFound",
    "FactorNotVerified",
    "FactorVerificationAttemptsReached",
    "Hotp",
    "IllegalFactorStatus",
    "InvalidParameter",
    "KeyUri",
    "OPERATIONS",
    "SETTINGS",
    "Service",
    "Steps",
    "Storage",
    "Totp",
    "WatchwordError",
    "Write",
    "__version__",
    "_panic_for_tests",
    "_sample_error",
    "base32_decode",
    "base32_encode",
    "generate_secret",
    "generate_secret_key",
    "operation",
    "qr_svg",
    "qr_terminal",
    "unix_seconds",
]

__version__: Final[str]
SETTINGS: Final[tuple[str, ...]]
OPERATIONS: Final[tuple[str, ...]]
ERROR_KINDS: Final[dict[str, type[WatchwordError]]]

@final
class Totp:
    def __new__(
        cls,
        secret: bytes | str,
        *,
        algorithm: str = "sha1",
        digits: int = 6,
        period: int = 30,
        t0: _Time = 0,
    ) -> Totp: ...
    def generate(self, unix_time: _Time | None = None) -> str: ...
    def generate_step(self, step: int) -> str: ...
    def verify(self, code: str, unix_time: _Time | None = None, skew: int = 1) -> int | None: ...
    def check(
        self,
        code: str,
        unix_time: _Time | None = None,
        skew: int = 1,
        last_used_step: int | None = None,
    ) -> Check: ...
    def step(self, unix_time: _Time | None = None) -> int: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def digits(self) -> int: ...
    @property
    def period(self) -> int: ...
    @property
    def t0(self) -> int: ...

@final
class Hotp:
    def __new__(cls, secret: bytes | str, *, algorithm: str = "sha1", digits: int = 6) -> Hotp: ...
    def generate(self, counter: int) -> str: ...
    def verify(self, code: str, counter: int, look_ahead: int = 0) -> int | None: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def digits(self) -> int: ...

@final
class Check:
    @property
    def result(self) -> str: ...
    @property
    def step(self) -> int | None: ...
    @property
    def offset(self) -> int | None: ...
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class KeyUri:
    def __new__(
        cls,
        *,
        account: str,
        secret: bytes | str,
        issuer: str | None = None,
        kind: str = "totp",
        algorithm: str = "sha1",
        digits: int = 6,
        period: int = 30,
        counter: int | None = None,
        extra: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
    ) -> KeyUri: ...
    @staticmethod
    def parse(uri: str) -> KeyUri: ...
    def to_uri(self) -> str: ...
    def totp(self) -> Totp: ...
    def hotp(self) -> Hotp: ...
    def qr_svg(self) -> str: ...
    def qr_terminal(self, background: str = "dark") -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def issuer(self) -> str | None: ...
    @property
    def account(self) -> str: ...
    @property
    def secret(self) -> bytes: ...
    @property
    def algorithm(self) -> str: ...
    @property
    def digits(self) -> int: ...
    @property
    def period(self) -> int: ...
    @property
    def counter(self) -> int | None: ...
    @property
    def extra(self) -> list[tuple[str, str]]: ...
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@disjoint_base
class Service:
    def __new__(cls, settings: dict[str, Any]) -> Self: ...
    def _run(self, op: str, names: tuple[str, ...], values: tuple[Any, ...]) -> Any: ...
    def _steps(self, op: str, names: tuple[str, ...], values: tuple[Any, ...]) -> Steps: ...
    def _call(self, op: str, args: Any, now: _Time | None = None) -> Any: ...
    @property
    def issuer(self) -> str:
        """The issuer shown in key URIs."""
    @property
    def service(self) -> str:
        """The namespace of this service's records in its store."""

@final
class Entity:
    """The user (``identity``) that owns factors."""

    @property
    def sid(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def date_created(self) -> datetime: ...
    @property
    def date_updated(self) -> datetime: ...
    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (dates as RFC 3339 strings)."""
    def to_record(self) -> str:
        """The stored record (versioned JSON) for a host's own database."""
    @classmethod
    def from_record(cls, record: str, verify: Verify) -> Entity:
        """Loads a stored record into ``verify`` and returns the entity."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class FactorConfig:
    """A factor's settings: TOTP's, or for recovery codes how many the set holds (``count``) and
    how many remain (``remaining``), which are ``None`` for TOTP."""

    def __new__(
        cls,
        alg: str,
        code_length: int,
        time_step: int,
        skew: int,
        count: int | None = None,
        remaining: int | None = None,
    ) -> FactorConfig: ...
    @property
    def alg(self) -> str: ...
    @property
    def code_length(self) -> int: ...
    @property
    def time_step(self) -> int: ...
    @property
    def skew(self) -> int: ...
    @property
    def count(self) -> int | None: ...
    @property
    def remaining(self) -> int | None: ...
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Binding:
    """What a new factor's user needs, shown once: the Base32 secret and the key URI of a TOTP
    factor, or the ``codes`` of a recovery-codes factor (then ``secret`` and ``uri`` are empty)."""

    def __new__(cls, secret: str, uri: str, codes: list[str] | None = None) -> Binding: ...
    @property
    def secret(self) -> str: ...
    @property
    def uri(self) -> str: ...
    @property
    def codes(self) -> list[str]:
        """The recovery codes (``xxxxx-xxxxx``); empty for a TOTP factor."""
    def key_uri(self) -> KeyUri:
        """The key URI, parsed."""
    def qr_svg(self) -> str:
        """The key URI as an SVG QR code."""
    def qr_terminal(self, background: str | None = None) -> str:
        """The key URI as a QR code of text for a dark (the default) or light (``background="light"``) terminal."""

@final
class Factor:
    """A factor: TOTP or recovery codes."""

    @property
    def sid(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def entity_sid(self) -> str: ...
    @property
    def friendly_name(self) -> str: ...
    @property
    def status(self) -> str:
        """``"unverified"`` or ``"verified"``."""
    @property
    def factor_type(self) -> str: ...
    @property
    def config(self) -> FactorConfig: ...
    @property
    def metadata(self) -> dict[str, str] | None: ...
    @property
    def binding(self) -> Binding | None:
        """The secret and key URI: only on the answer of ``create_factor``."""
    @property
    def result(self) -> str | None:
        """``"approved"``, ``"invalid_code"``, ``"replayed"`` or ``"outside_window"`` after ``verify_factor``."""
    @property
    def result_offset(self) -> int | None: ...
    @property
    def approved(self) -> bool: ...
    @property
    def date_created(self) -> datetime: ...
    @property
    def date_updated(self) -> datetime: ...
    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (no secret except a new factor's ``binding``)."""
    def to_record(self) -> str:
        """The stored record (versioned JSON, with the secret) for a host's own database."""
    @classmethod
    def from_record(cls, record: str, verify: Verify) -> Factor:
        """Loads a stored record into ``verify`` and returns the factor."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

@final
class Challenge:
    """A login attempt against a factor, read at the time of the call that returned it."""

    @property
    def sid(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def entity_sid(self) -> str: ...
    @property
    def factor_sid(self) -> str: ...
    @property
    def status(self) -> str:
        """``"pending"``, ``"approved"``, ``"denied"`` or ``"expired"``."""
    @property
    def responded_reason(self) -> str: ...
    @property
    def factor_type(self) -> str: ...
    @property
    def date_created(self) -> datetime: ...
    @property
    def date_updated(self) -> datetime: ...
    @property
    def date_responded(self) -> datetime | None: ...
    @property
    def expiration_date(self) -> datetime: ...
    @property
    def details(self) -> ChallengeDetails | None: ...
    @property
    def hidden_details(self) -> dict[str, str] | None: ...
    @property
    def metadata(self) -> dict[str, str] | None: ...
    @property
    def result(self) -> str | None:
        """``"approved"``, ``"invalid_code"``, ``"replayed"`` or ``"outside_window"`` when the call checked a code."""
    @property
    def result_offset(self) -> int | None: ...
    @property
    def approved(self) -> bool: ...
    def to_dict(self) -> dict[str, Any]:
        """The public JSON shape (dates as RFC 3339 strings)."""
    def to_record(self) -> str:
        """The stored record (versioned JSON) for a host's own database."""
    @classmethod
    def from_record(cls, record: str, verify: Verify) -> Challenge:
        """Loads a stored record into ``verify`` and returns the challenge."""
    def __eq__(self, value: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]

def generate_secret(algorithm: str = "sha1") -> bytes: ...
def generate_secret_key() -> bytes:
    """A new secret key for sealed records: 32 bytes from the operating system."""
def base32_encode(data: bytes) -> str: ...
def base32_decode(text: str) -> bytes: ...
def qr_svg(text: str) -> str: ...
def qr_terminal(text: str, background: str = "dark") -> str: ...
def unix_seconds(value: _Time, name: str = "time") -> int: ...
def operation(
    cls: type,
    name: str,
    names: list[str],
    positional: int,
    required: int,
    defaults: list[tuple[int, Any]],
    doc: str,
) -> Any: ...
def _sample_error(kind: str) -> WatchwordError | None: ...
def _panic_for_tests() -> None: ...

class WatchwordError(Exception):
    """Every failure in watchword. A wrong one-time code is never an error: it is a result."""

    kind: str
    """The stable kind name, e.g. ``"challenge_expired"``."""
    twilio_code: int | None
    """The Twilio error code (refined per parameter for ``invalid_parameter``)."""
    code: int | None
    """The same as ``twilio_code``."""
    http_status: int
    """The HTTP status an API should answer with."""
    okta_code: str | None
    """The Okta error code, where Okta has one."""
    detail: str | None
    """What exactly is wrong, for ``invalid_parameter`` (e.g. ``"base32_character"``)."""
    parameter: str | None
    """The argument at fault, for ``invalid_parameter`` (``"identity"``, ``"skew"`` …)."""

class InvalidParameter(WatchwordError, ValueError): ...
class EntityNotFound(WatchwordError): ...
class FactorNotFound(WatchwordError): ...
class ChallengeNotFound(WatchwordError): ...
class EntityAlreadyExists(WatchwordError): ...
class FactorLimitReached(WatchwordError): ...
class FactorCreationRateLimited(WatchwordError): ...
class FactorNotVerified(WatchwordError): ...
class IllegalFactorStatus(WatchwordError): ...
class FactorVerificationAttemptsReached(WatchwordError): ...
class ChallengeCreationLimitReached(WatchwordError): ...
class ChallengeAttemptsReached(WatchwordError): ...
class ChallengeAlreadyResponded(WatchwordError): ...
class ChallengeExpired(WatchwordError): ...
class FactorLocked(WatchwordError): ...
class Conflict(WatchwordError): ...
class Storage(WatchwordError): ...

@final
class Write:
    """One write of a commit, as a host store applies it: to the row (``service``, ``kind``,
    ``key``) whose stored version is ``expected_version`` (0: there must be none), store
    ``record`` with ``identity``, ``created`` and ``version`` — or delete the row when
    ``record`` is ``None``."""

    def __new__(
        cls,
        service: str,
        kind: str,
        key: str,
        identity: str,
        created: int,
        expected_version: int,
        version: int,
        record: str | None = None,
    ) -> Write: ...
    @property
    def service(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...
    @property
    def identity(self) -> str: ...
    @property
    def created(self) -> int: ...
    @property
    def expected_version(self) -> int: ...
    @property
    def version(self) -> int: ...
    @property
    def record(self) -> str | None: ...

@final
class Steps:
    """One operation as steps for an asynchronous store (``watchword.aio``)."""

    def next(self) -> tuple[Any, ...]: ...
    def give(self, answer: Any) -> None: ...
    def fail(self, error: BaseException) -> None: ...
