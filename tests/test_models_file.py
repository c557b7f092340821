"""The models file (benchlab.models_file): real TOML files on disk, the real backends registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchlab.config import Target
from benchlab.errors import BenchlabError
from benchlab.models_file import ModelSpec, Price, load_models
from benchlab.plugin_manager import load_plugins


@pytest.fixture(scope="module")
def backends():
    return load_plugins().backends


def write(tmp_path: Path, text: str, name: str = "models.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(path: Path, backends) -> str:
    with pytest.raises(BenchlabError) as caught:
        load_models(path, backends)
    return str(caught.value)


FULL = """\
[[model]]
name = "local"
backend = "ollama"
endpoint = "http://127.0.0.1:11434"
model = "gemma3:1b"
concurrency = 1
api_key_env = "MY_KEY_VAR"
price_per_mtok = { input = 0.5, output = 1.5 }
[model.options]
keep_alive = "1h"

[[model]]
name = "recorded"
backend = "replay"
replay = "answers/recorded.jsonl"
"""
# FULL with user:password in the first model's endpoint instead of a key.
WITH_USERINFO = FULL.replace("http://127.0.0.1", "http://user:pw@127.0.0.1").replace('api_key_env = "MY_KEY_VAR"\n', "")


def test_a_full_file_reads_into_specs_with_replay_relative_to_the_file(tmp_path, backends, monkeypatch):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "recorded.jsonl").write_text("")
    monkeypatch.chdir("/")  # the replay path follows the file, not the working directory
    local, recorded = load_models(write(tmp_path, FULL), backends)
    assert local == ModelSpec(name="local", backend="ollama", endpoint="http://127.0.0.1:11434", model="gemma3:1b",
                              concurrency=1, api_key_env="MY_KEY_VAR", price=Price(0.5, 1.5), options={"keep_alive": "1h"})
    assert recorded.replay == str(tmp_path / "answers" / "recorded.jsonl")
    assert recorded.endpoint is None and recorded.model is None and recorded.price is None
    assert local.price.cost(2_000_000, 1_000_000) == pytest.approx(2.5)


def test_the_key_is_read_from_the_named_variable_and_never_saved(tmp_path, backends, monkeypatch):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "recorded.jsonl").write_text("")
    monkeypatch.setenv("MY_KEY_VAR", "sk-secret-value")
    local = load_models(write(tmp_path, FULL), backends)[0]
    assert local.api_key() == "sk-secret-value"
    assert local.target_flags().api_key == "sk-secret-value"
    saved = local.public()
    assert "sk-secret-value" not in repr(saved) and saved["api_key_env"] == "MY_KEY_VAR"
    assert not local.endpoint_has_secrets
    monkeypatch.delenv("MY_KEY_VAR")
    assert local.api_key() is None
    # Credentials in the URL instead (with a key as well, the file is refused: one Authorization header).
    local = load_models(write(tmp_path, WITH_USERINFO), backends)[0]
    saved = local.public()
    assert "pw" not in saved["endpoint"] and local.endpoint_has_secrets
    back = ModelSpec.from_public(saved)
    assert back.price == local.price and back.options == local.options and back.endpoint == "http://***@127.0.0.1:11434"


def test_target_is_the_run_target_without_credentials(tmp_path, backends):
    (tmp_path / "answers").mkdir()
    (tmp_path / "answers" / "recorded.jsonl").write_text("")
    local = load_models(write(tmp_path, WITH_USERINFO), backends)[0]
    assert local.target(stream=True, max_tokens=64) == Target(
        backend="ollama", endpoint="http://***@127.0.0.1:11434", model="gemma3:1b", settings={"keep_alive": "1h"},
        concurrency=1, stream=True, max_tokens=64)


@pytest.mark.parametrize(("text", "expected"), [
    # an unknown key, on its own line
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\ncolour = "red"\n', ":5: colour: unknown key"),
    # a key written into the file
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\napi_key = "sk-1"\n', ":5: api_key: keys never go in files"),
    # missing fields are located at the model's header
    ('\n[[model]]\nbackend = "openai"\nendpoint = "http://x"\n', ":2: name: missing (required)"),
    ('[[model]]\nname = "a"\nbackend = "openai"\n', ":1: endpoint: missing"),
    ('[[model]]\nname = "a"\nbackend = "replay"\n', ":1: replay: missing"),
    # duplicate names: the second one, naming the first
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\n\n[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://y"\n',
     ":7: name: duplicate name 'a' (first at line 2)"),
    ('[[model]]\nname = "a"\nbackend = "nosuch"\nendpoint = "http://x"\n', ":3: backend: "),
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\nconcurrency = "2"\n', ":5: concurrency: expected an integer, got str"),
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\nconcurrency = 0\n', ":5: concurrency: must be at least 1"),
    ('[[model]]\nname = "a b"\nbackend = "openai"\nendpoint = "http://x"\n', ":2: name: 'a b': use letters"),
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\napi_key_env = "sk-abc123"\n', ":5: api_key_env: the NAME"),
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\nreplay = "r.jsonl"\n', ":5: replay: only for backend replay"),
    ('[[model]]\nname = "a"\nbackend = "replay"\nreplay = "nothere.jsonl"\n', ":4: replay: "),
    ('[[model]]\nname = "a"\nbackend = "local"\nendpoint = "http://x"\n', ":4: endpoint: backend local starts its own server"),
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\nprice_per_mtok = { input = 1, outptu = 2 }\n',
     ":5: price_per_mtok.outptu: unknown key"),
    ('[[model]]\nname = "a"\nbackend = "ollama"\nendpoint = "http://x"\n[model.options]\nkeepalive = "1h"\n',
     ":6: options.keepalive: backend ollama has no such option"),
    ('title = "mine"\n[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\n', ":1: title: unknown key"),
    ('[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\n[extra]\nx = 1\n', ":5: extra: unknown key"),
    ('# nothing here\n', ":1: model: no [[model]] tables"),
    ('[[model]]\nname = "a"\nname = "b"\n', ":3: toml: "),
])
def test_each_defect_is_one_located_line(tmp_path, backends, text, expected):
    path = write(tmp_path, text)
    message = error_of(path, backends)
    assert message.startswith(f"{path}{expected}"), message
    assert "\n" not in message


def test_every_defect_is_reported_at_once(tmp_path, backends):
    path = write(tmp_path, '[[model]]\nname = "a"\nbackend = "openai"\nendpoint = "http://x"\ncolor = 1\n\n'
                           '[[model]]\nname = "b"\nbackend = "openai"\nconcurency = 2\n')
    message = error_of(path, backends)
    assert message.startswith(f"{path}:5: color: unknown key")
    assert "; line 7: endpoint: missing" in message and "; line 10: concurency: unknown key" in message


def test_a_file_that_is_not_there_or_not_utf8_is_one_line(tmp_path, backends):
    assert error_of(tmp_path / "none.toml", backends) == f"--models {tmp_path / 'none.toml'}: no such file"
    path = tmp_path / "wide.toml"
    path.write_bytes('[[model]]\nname = "a"\n'.encode("utf-16"))
    assert "not UTF-8" in error_of(path, backends)
