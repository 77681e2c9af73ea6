"""Provides the learner's settings: `LAB_HOME/config.toml` (or the file LAB_CONFIG names), with
environment variables over it for scripts and tests. No file means every default.

    [runner]
    kind = "local"            # or "slurm", or "command" (LAB_RUNNER_COMMAND) (LAB_RUNNER)
    max_concurrent_runs = 0   # machine-wide, across users; 0: no limit

    [slurm]
    partition = "gpu"
    gres = "gpu:1"
    cpus = 4
    memory = "16G"
    time = "1:00:00"
    account = ""
    qos = ""
    args = "--constraint=a100"   # more srun arguments, split like a shell (LAB_SLURM_ARGS)
    keep_warm = ""               # e.g. "10m": while an experiment is open, hold one job step
                                 # with its worker ready; given back after that long idle

    [class]
    folder = "/srv/class/ml101"  # where `lab submit` writes
    submit = "never"             # or "on-exit"

A mistake is one line naming the file, the line and the setting (`ConfigError`).
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from lab import paths


class ConfigError(ValueError):
    """A config file that cannot be used: one line, with file, line and setting."""


@dataclass(frozen=True)
class RunnerConfig:
    kind: str = "local"
    max_concurrent_runs: int = 0


@dataclass(frozen=True)
class SlurmConfig:
    partition: str = ""
    gres: str = ""
    cpus: int = 0
    memory: str = ""
    time: str = ""
    account: str = ""
    qos: str = ""
    args: str = ""
    keep_warm: str = ""


@dataclass(frozen=True)
class ClassConfig:
    folder: str = ""
    submit: str = "never"


@dataclass(frozen=True)
class Config:
    runner: RunnerConfig = field(default_factory=RunnerConfig)
    slurm: SlurmConfig = field(default_factory=SlurmConfig)
    klass: ClassConfig = field(default_factory=ClassConfig)
    path: Path | None = None
    """The file read, if there was one."""


SECTIONS: dict[str, type] = {"runner": RunnerConfig, "slurm": SlurmConfig, "class": ClassConfig}
_ATTR = {"runner": "runner", "slurm": "slurm", "class": "klass"}
CHOICES = {
    ("runner", "kind"): ("local", "slurm", "command"),
    ("class", "submit"): ("never", "on-exit"),
}
ENVIRONMENT = {"LAB_RUNNER": ("runner", "kind"), "LAB_SLURM_ARGS": ("slurm", "args")}
DURATIONS = {("slurm", "keep_warm")}
UNITS_S = {"s": 1, "m": 60, "h": 3600}


def duration_s(text: str) -> float:
    """Seconds in a duration such as `90s`, `10m` or `1h` (a bare number is seconds); 0 for
    an empty one. ValueError for anything else."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text)
    if text.strip() and not found:
        raise ValueError(f"{text!r} is not a duration such as 90s, 10m or 1h")
    return float(found.group(1)) * UNITS_S[found.group(2) or "s"] if found else 0.0


def config_path() -> Path:
    env = os.environ.get("LAB_CONFIG")
    return Path(env).expanduser() if env else paths.lab_home() / "config.toml"


def load_config(path: Path | None = None) -> Config:
    """The settings: the file's (if any), then the environment's over them."""
    path = path or config_path()
    values: dict[str, dict[str, Any]] = {name: {} for name in SECTIONS}
    text = ""
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read it: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        for section, table in data.items():
            if section not in SECTIONS or not isinstance(table, dict):
                known = ", ".join(f"[{name}]" for name in SECTIONS)
                raise ConfigError(
                    f"{_where(path, text, section)}: [{section}] is not a section "
                    f"lab knows ({known})"
                )
            values[section] = dict(table)
    from_env: dict[str, str] = {}  # "section.key" -> the variable that set it
    for variable, (section, key) in ENVIRONMENT.items():
        if variable in os.environ:
            values[section][key] = os.environ[variable]
            from_env[f"{section}.{key}"] = variable
    parts = {
        _ATTR[section]: _section(path, text, section, values[section], from_env)
        for section in SECTIONS
    }
    return Config(**parts, path=path if path.is_file() else None)


def _section(
    path: Path, text: str, section: str, table: dict[str, Any], from_env: dict[str, str]
) -> Any:
    cls = SECTIONS[section]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in table.items():
        where = from_env.get(f"{section}.{key}") or _where(path, text, key)
        if key not in fields:
            raise ConfigError(
                f"{where}: [{section}] {key} is not a setting lab knows ({', '.join(fields)})"
            )
        wanted = type(fields[key].default)
        if wanted is int and isinstance(value, str) and value.strip().isdigit():
            value = table[key] = int(value)
        if not isinstance(value, wanted) or isinstance(value, bool):
            kind = "a whole number" if wanted is int else "text"
            raise ConfigError(f"{where}: [{section}] {key} must be {kind}, not {value!r}")
        if (section, key) in DURATIONS:
            try:
                duration_s(str(value))
            except ValueError as exc:
                raise ConfigError(f"{where}: [{section}] {key}: {exc}") from None
        choices = CHOICES.get((section, key))
        if choices and value not in choices:
            raise ConfigError(
                f"{where}: [{section}] {key} must be one of {', '.join(choices)}, not {value!r}"
            )
    return cls(**table)


def _where(path: Path, text: str, key: str) -> str:
    """`file:line` of the first line that sets `key` (or names its section), else the file."""
    pattern = re.compile(rf"^[ \t]*(\[\s*{re.escape(key)}\s*\]|{re.escape(key)}\s*=)", re.M)
    found = pattern.search(text)
    if not found:
        return str(path)
    return f"{path}:{text.count(chr(10), 0, found.start()) + 1}"


def describe(config: Config) -> str:
    """The settings in force, as a config file would write them (what `lab config` prints)."""
    source = f"# from {config.path}" if config.path else f"# no {config_path()}: the defaults"
    lines = [source]
    for section, attr in _ATTR.items():
        lines.append(f"\n[{section}]")
        for key, value in dataclasses.asdict(getattr(config, attr)).items():
            shown = value if isinstance(value, int) else f'"{value}"'
            lines.append(f"{key} = {shown}")
    overridden = [variable for variable in ENVIRONMENT if variable in os.environ]
    if overridden:
        lines.append(f"\n# set by the environment: {', '.join(overridden)}")
    return "\n".join(lines)
