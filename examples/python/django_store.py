"""A watchword store over Django's ORM: the service's records in a model of the application's
own, created by its migrations, in its database.

Put ``WatchwordRecord`` in an app's ``models.py`` (then ``makemigrations``), and make the service
once per process:

    from .watchword_store import DjangoStore
    verify = watchword.Verify("Acme", store=DjangoStore())

A commit is one ``transaction.atomic()`` block whose writes each check the row's version
(compare-and-set); one that does not match rolls the block back and answers ``False`` —
watchword then reads again and retries. On SQLite, set the database's
``OPTIONS = {"transaction_mode": "IMMEDIATE"}`` (Django 5.1+) so concurrent commits wait for
each other instead of failing with "database is locked".
"""

from __future__ import annotations

from typing import Any, Iterable, List, Optional, Sequence, Tuple, Type

from django.db import IntegrityError, models, transaction

import watchword


class WatchwordRecord(models.Model):
    """One record of a watchword service."""

    service = models.CharField(max_length=64)
    kind = models.CharField(max_length=16)
    key = models.CharField(max_length=128)
    identity = models.CharField(max_length=128)
    created = models.BigIntegerField()
    version = models.BigIntegerField()
    data = models.TextField()

    class Meta:
        app_label = "watchword_records"
        constraints = [models.UniqueConstraint(fields=["service", "kind", "key"], name="watchword_record_key")]
        indexes = [
            models.Index(fields=["service", "kind", "identity", "created", "key"], name="watchword_record_identity"),
            models.Index(fields=["service", "kind", "created", "key"], name="watchword_record_created"),
        ]


class _Conflict(Exception):
    """A write's version did not match: the atomic block is rolled back."""


class DjangoStore:
    """watchword's records as rows of ``model`` in the database ``using``."""

    def __init__(self, model: Type[WatchwordRecord] = WatchwordRecord, using: str = "default") -> None:
        self.model, self.using = model, using

    def _rows(self) -> Any:
        return self.model.objects.using(self.using)

    def get(self, service: str, kind: str, key: str) -> Optional[str]:
        data: Optional[str] = self._rows().filter(service=service, kind=kind, key=key).values_list("data", flat=True).first()
        return data

    def _listing(self, rows: Any, after: Optional[Tuple[int, str]], limit: int) -> List[str]:
        if after is not None:
            created, key = after
            rows = rows.filter(models.Q(created__gt=created) | models.Q(created=created, key__gt=key))
        return list(rows.order_by("created", "key").values_list("data", flat=True)[:limit])

    def list(self, service: str, identity: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        return self._listing(self._rows().filter(service=service, kind=kind, identity=identity), after, limit)

    def scan(self, service: str, kind: str, after: Optional[Tuple[int, str]], limit: int) -> Iterable[str]:
        return self._listing(self._rows().filter(service=service, kind=kind), after, limit)

    def commit(self, writes: Sequence[watchword.Write]) -> bool:
        try:
            with transaction.atomic(using=self.using):
                for w in writes:
                    row = self._rows().filter(service=w.service, kind=w.kind, key=w.key)
                    if w.record is None:
                        changed = row.filter(version=w.expected_version).delete()[0]
                    elif w.expected_version == 0:
                        # A row that exists already fails the unique constraint.
                        self._rows().create(service=w.service, kind=w.kind, key=w.key, identity=w.identity,
                                            created=w.created, version=w.version, data=w.record)
                        changed = 1
                    else:
                        changed = row.filter(version=w.expected_version).update(
                            identity=w.identity, created=w.created, version=w.version, data=w.record
                        )
                    if changed != 1:
                        raise _Conflict()
            return True
        except (_Conflict, IntegrityError):
            return False
