"""Configuration layers and the one-line errors that name the key."""
import os
import tomllib
from pathlib import Path

import pytest

from core.config import DEFAULT_SECRET_KEY, EXAMPLE_FILE, SPEC, load_config
from core.errors import ConfigError


@pytest.fixture
def config_dir(tmp_path):
    folder = tmp_path / "config"
    folder.mkdir()
    return folder


def load(config_dir, environ=None, **overrides):
    return load_config(overrides, config_dir=config_dir, environ=environ or {})


def one_line_error(config_dir, environ=None, **overrides) -> str:
    with pytest.raises(ConfigError) as err:
        load(config_dir, environ, **overrides)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_defaults_describe_the_embedded_setup(config_dir):
    config = load(config_dir)
    assert config["ENV"] == "development" and config["BROKER_URL"] == "stub://"
    assert config.database_url.startswith("sqlite:///") and config.database_url.endswith("tessera.db")
    assert set(config.values) == set(SPEC)
    assert not config.is_production


def test_layers_defaults_then_files_then_environment_then_overrides(config_dir):
    (config_dir / "10-base.toml").write_text('login_rate_limit = 7\nbase_url = "https://shop.example"\n'
                                             'default_locale = "ko"\n')
    (config_dir / "20-local.toml").write_text("login_rate_limit = 9\n")
    config = load(config_dir)
    assert config["LOGIN_RATE_LIMIT"] == 9  # later file wins
    assert config["BASE_URL"] == "https://shop.example" and config["DEFAULT_LOCALE"] == "ko"
    env = {"TESSERA_LOGIN_RATE_LIMIT": "11", "TESSERA_WTF_CSRF_ENABLED": "off",
           "TESSERA_ADDONS_PATH": os.pathsep.join(["/a", "/b"]), "TESSERA_TEST_DATABASE_URL": "ignored",
           "OTHER": "ignored"}
    config = load(config_dir, env)
    assert config["LOGIN_RATE_LIMIT"] == 11 and config["WTF_CSRF_ENABLED"] is False
    assert config["ADDONS_PATH"] == ["/a", "/b"]
    assert load(config_dir, env, login_rate_limit=3)["LOGIN_RATE_LIMIT"] == 3


@pytest.mark.parametrize("source", ["env", "file", "override"])
def test_an_unknown_key_is_named_with_where_it_came_from(config_dir, source):
    if source == "env":
        message = one_line_error(config_dir, {"TESSERA_DATABSE_URL": "sqlite://"})
        assert message.startswith("environment: TESSERA_DATABSE_URL: unknown setting")
    elif source == "file":
        (config_dir / "local.toml").write_text('databse_url = "sqlite://"\n')
        message = one_line_error(config_dir)
        assert message.startswith("config/local.toml: databse_url: unknown setting")
    else:
        message = one_line_error(config_dir, colour="red")
        assert message.startswith("overrides: colour: unknown setting")
    assert "fix the name" in message and "DATABASE_URL" in message


@pytest.mark.parametrize("env, key, expected", [
    ({"TESSERA_LOGIN_RATE_LIMIT": "five"}, "TESSERA_LOGIN_RATE_LIMIT", "whole number"),
    ({"TESSERA_LOGIN_RATE_LIMIT": "--5"}, "TESSERA_LOGIN_RATE_LIMIT", "whole number"),
    ({"TESSERA_LOGIN_RATE_LIMIT": "2.5"}, "TESSERA_LOGIN_RATE_LIMIT", "whole number"),
    ({"TESSERA_WTF_CSRF_ENABLED": "maybe"}, "TESSERA_WTF_CSRF_ENABLED", "true or false"),
    ({"TESSERA_ENV": "staging"}, "TESSERA_ENV", "one of development, production, test"),
    ({"TESSERA_DEFAULT_LOCALE": "fr"}, "TESSERA_DEFAULT_LOCALE", "one of"),
    ({"TESSERA_DATABASE_URL": "mysql://db/x"}, "TESSERA_DATABASE_URL", "scheme sqlite or postgresql"),
    ({"TESSERA_BROKER_URL": "not a url"}, "TESSERA_BROKER_URL", "scheme"),
    ({"TESSERA_BASE_URL": "http://[::1"}, "TESSERA_BASE_URL", "not a valid URL"),
    ({"TESSERA_SMTP_URL": "http://mail"}, "TESSERA_SMTP_URL", "smtp or smtps"),
])
def test_wrong_values_name_the_key_in_one_line(config_dir, env, key, expected):
    message = one_line_error(config_dir, env)
    assert message.startswith(key + " (environment)") and expected in message


def test_wrong_types_in_files_name_the_file(config_dir):
    (config_dir / "local.toml").write_text('login_rate_limit = true\n')
    assert one_line_error(config_dir).startswith("TESSERA_LOGIN_RATE_LIMIT (config/local.toml): expected")
    (config_dir / "local.toml").write_text('addons_path = [1, 2]\n')
    assert one_line_error(config_dir).startswith("TESSERA_ADDONS_PATH (config/local.toml): expected")
    (config_dir / "local.toml").write_text('login_rate_limit = \n')
    assert one_line_error(config_dir).startswith("local.toml: not valid TOML")


def test_urls_with_driver_suffixes_are_accepted(config_dir):
    config = load(config_dir, {"TESSERA_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1/db"})
    assert config.database_url == "postgresql+psycopg://u@127.0.0.1/db"


def test_production_refuses_the_default_secret_key(config_dir):
    message = one_line_error(config_dir, {"TESSERA_ENV": "production"})
    assert message.startswith("TESSERA_SECRET_KEY:") and "default secret key" in message
    assert DEFAULT_SECRET_KEY not in message
    config = load(config_dir, {"TESSERA_ENV": "production", "TESSERA_SECRET_KEY": "x" * 40})
    assert config.is_production


EXAMPLE = Path(__file__).resolve().parents[2] / "config" / EXAMPLE_FILE


def test_the_example_documents_exactly_the_known_keys():
    keys = set(tomllib.loads(EXAMPLE.read_text()))
    assert keys == {key.lower() for key in SPEC}, (
        f"config/example.toml lacks {sorted({k.lower() for k in SPEC} - keys)}, "
        f"has unknown {sorted(keys - {k.lower() for k in SPEC})}")


def test_every_example_value_is_valid_and_each_key_has_a_comment(config_dir):
    (config_dir / "local.toml").write_text(EXAMPLE.read_text())
    config = load(config_dir)
    assert {k: v for k, v in config.values.items() if k != "INSTANCE_PATH"} == \
        {k: default for k, (default, _) in SPEC.items() if k != "INSTANCE_PATH"}  # it shows the defaults
    lines = EXAMPLE.read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[i - 1].startswith("#"), f"config/example.toml: {line.split()[0]} has no comment above it"


def test_the_example_is_never_loaded_as_live_configuration(config_dir):
    (config_dir / EXAMPLE_FILE).write_text('login_rate_limit = 99\nno_such_key = "would stop start-up"\n')
    (config_dir / "local.toml").write_text("login_rate_limit = 7\n")
    assert load(config_dir)["LOGIN_RATE_LIMIT"] == 7
