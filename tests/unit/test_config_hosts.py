"""Several web hosts on one database: Minka refuses to start with settings that would keep
state per host, and says which and what to set."""

from __future__ import annotations

import pytest

from marketplace import config

SHARED = {
    "SECRET_KEY": "the same on every host",
    "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://minka@db/minka",
    "MINKA_REDIS_URL": "redis://cache:6379/0",
    "MINKA_FILE_STORAGE": "database",
}


def test_one_host_runs_with_the_embedded_defaults():
    settings = config.load({"MINKA_ENV": "testing", "SECRET_KEY": "x"})
    assert settings["MINKA_HOSTS"] == 1 and settings["MINKA_FILE_STORAGE"] == "local"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"


def test_rate_limits_count_in_redis_when_there_is_one():
    settings = config.load({"MINKA_ENV": "testing", **SHARED})
    assert settings["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


def test_several_hosts_start_with_everything_shared():
    settings = config.load({"MINKA_ENV": "production", "MINKA_HOSTS": 3, **SHARED})
    assert settings["MINKA_HOSTS"] == 3


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"SQLALCHEMY_DATABASE_URI": "sqlite:///minka.sqlite3"}, "SQLite file of one host"),
        ({"MINKA_REDIS_URL": None}, "MINKA_REDIS_URL is not set"),
        ({"RATELIMIT_STORAGE_URI": "memory://"}, "each process's memory"),
        ({"MINKA_FILE_STORAGE": "local"}, "stay on the host that received them"),
    ],
)
def test_several_hosts_refuse_what_would_diverge(change, said):
    with pytest.raises(config.ConfigError, match="MINKA_HOSTS=2") as refused:
        config.load({"MINKA_ENV": "production", "MINKA_HOSTS": 2, **SHARED, **change})
    assert said in str(refused.value)


def test_several_hosts_refuse_a_secret_made_per_host(monkeypatch, tmp_path):
    monkeypatch.delenv("MINKA_SECRET_KEY", raising=False)
    monkeypatch.setenv("MINKA_INSTANCE_PATH", str(tmp_path))
    settings = {key: value for key, value in SHARED.items() if key != "SECRET_KEY"}
    with pytest.raises(config.ConfigError, match="MINKA_SECRET_KEY is not set: each host"):
        config.load({"MINKA_ENV": "development", "MINKA_HOSTS": 2, **settings})


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"MINKA_FILE_STORAGE": "ftp"}, "use local, database or s3"),
        ({"MINKA_FILE_STORAGE": "s3"}, "needs MINKA_S3_BUCKET"),
    ],
)
def test_a_file_store_must_be_known_and_complete(change, said):
    with pytest.raises(config.ConfigError, match=said):
        config.load({"MINKA_ENV": "testing", "SECRET_KEY": "x", **change})
