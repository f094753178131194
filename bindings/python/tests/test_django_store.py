"""The example store over Django's ORM (examples/python/django_store.py): the shared scenarios
and the replay race through it, on SQLite and on the PostgreSQL server of ``make test``.

Django's settings are configured once per process, here, before the example is imported."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import django
import pytest
from django.conf import settings
from django.db import connections

from conftest import ROOT
from store_checks import compare_and_set, listing
from test_host_stores import sixteen_threads_approve_a_code_once
from test_scenarios import SCENARIOS, Runner, run_scenario

sys.path.insert(0, str(ROOT / "examples" / "python"))

DIRECTORY = tempfile.mkdtemp(prefix="watchword-django-")


def postgres_database(url: str) -> Dict[str, Any]:
    """Django's DATABASES entry for a libpq URL."""
    parts = urlsplit(url)
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


DATABASES: Dict[str, Any] = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(Path(DIRECTORY) / "app.db"),
        # Concurrent commits wait for each other instead of failing with "database is locked".
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    },
}
if os.environ.get("WATCHWORD_TEST_PG_URL"):
    DATABASES["postgresql"] = postgres_database(os.environ["WATCHWORD_TEST_PG_URL"])

if not settings.configured:
    settings.configure(DATABASES=DATABASES, INSTALLED_APPS=[], USE_TZ=True)
    django.setup()

import django_store  # noqa: E402


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database of each kind with the example's table (dropped afterwards)."""
    using = "default" if request.param == "sqlite" else "postgresql"
    if using not in DATABASES:
        if os.environ.get("WATCHWORD_TEST_PG") == "skip":
            pytest.skip("PostgreSQL: WATCHWORD_TEST_PG=skip")
        pytest.fail("WATCHWORD_TEST_PG_URL is not set (WATCHWORD_TEST_PG=skip skips the PostgreSQL tests)")
    with connections[using].schema_editor() as editor:
        editor.create_model(django_store.WatchwordRecord)
    yield using
    with connections[using].schema_editor() as editor:
        editor.delete_model(django_store.WatchwordRecord)
    connections.close_all()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenarios_through_the_django_store(path: Path, database: str) -> None:
    run_scenario(path, lambda settings: Runner({**settings, "service": f"s-{path.stem}"}, store=django_store.DjangoStore(using=database)))


def test_sixteen_threads_approve_a_code_once_through_the_django_store(database: str) -> None:
    sixteen_threads_approve_a_code_once(django_store.DjangoStore(using=database))


def test_compare_and_set_and_listings_of_the_django_store(database: str) -> None:
    store = django_store.DjangoStore(using=database)
    compare_and_set(store, lambda answer: answer)
    listing(store, lambda answer: answer)
