"""config.toml: defaults without a file, the file's values, the environment over them, and
one-line errors naming the file, the line and the setting."""

from __future__ import annotations

import pytest

from lab.config import ConfigError, describe, load_config


@pytest.fixture
def config_file(lab_home, monkeypatch):
    monkeypatch.delenv("LAB_RUNNER", raising=False)
    monkeypatch.delenv("LAB_SLURM_ARGS", raising=False)
    return lab_home / "config.toml"


def test_no_file_means_every_default(config_file):
    config = load_config()
    assert config.path is None
    assert (config.runner.kind, config.runner.max_concurrent_runs) == ("local", 0)
    assert config.klass.submit == "never" and config.slurm.partition == ""


def test_the_file_then_the_environment(config_file, monkeypatch):
    config_file.write_text(
        '[runner]\nkind = "slurm"\nmax_concurrent_runs = 2\n\n'
        '[slurm]\npartition = "gpu"\ngres = "gpu:1"\ncpus = 4\nargs = "--qos=short"\n\n'
        '[class]\nfolder = "/srv/class"\nsubmit = "on-exit"\n'
    )
    config = load_config()
    assert config.path == config_file
    assert config.runner.kind == "slurm" and config.runner.max_concurrent_runs == 2
    assert (config.slurm.partition, config.slurm.gres, config.slurm.cpus) == ("gpu", "gpu:1", 4)
    assert config.klass.folder == "/srv/class" and config.klass.submit == "on-exit"
    monkeypatch.setenv("LAB_RUNNER", "local")
    monkeypatch.setenv("LAB_SLURM_ARGS", "--partition=debug --time=5")
    config = load_config()
    assert config.runner.kind == "local" and config.slurm.args == "--partition=debug --time=5"
    shown = describe(config)
    assert 'partition = "gpu"' in shown and "LAB_RUNNER, LAB_SLURM_ARGS" in shown


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('[slurm]\npartiton = "gpu"\n', "config.toml:2: [slurm] partiton is not a setting"),
        ('[slurm]\ncpus = "many"\n', "config.toml:2: [slurm] cpus must be a whole number"),
        ('[runner]\n\nkind = "cloud"\n', "config.toml:3: [runner] kind must be one of local, "),
        ('[runners]\nkind = "local"\n', "config.toml:1: [runners] is not a section lab knows"),
        ('[runner]\nkind = "local\n', "config.toml: Illegal character '\\n' (at line 2"),
        (
            '[slurm]\nkeep_warm = "ten minutes"\n',
            "config.toml:2: [slurm] keep_warm: 'ten minutes' is not a duration such as 90s, 10m",
        ),
    ],
)
def test_a_mistake_is_one_line_naming_the_file_line_and_setting(config_file, text, said):
    config_file.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert said in message and "\n" not in message, message


def test_a_bad_environment_value_is_named_too(config_file, monkeypatch):
    monkeypatch.setenv("LAB_RUNNER", "kubernetes")
    with pytest.raises(ConfigError) as caught:
        load_config()
    assert str(caught.value) == (
        "LAB_RUNNER: [runner] kind must be one of local, slurm, command, not 'kubernetes'"
    )
