"""Matching configuration: one dataclass, loadable from TOML, saved with every run."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imsrecon.normalise.gstin import gstin_problem


class ConfigError(ValueError):
    """A configuration file or value is wrong; the message says which key and why."""


DECISION_SETTINGS = ["apply_suggestions"]  # the [decisions] table of the settings file
SETTINGS_TABLES = ("match", "recommend", "decisions", "filing")  # the tables a settings file may hold
MONTHLY, QUARTERLY = "monthly", "quarterly"
# how a filing frequency may be written in [filing] (folded to lower case)
FREQUENCY_SPELLINGS = {"monthly": MONTHLY, "quarterly": QUARTERLY, "qrmp": QUARTERLY}


def read_settings(path: Path) -> dict[str, Any]:
    """A settings file (TOML) as a dict; ConfigError naming the file when it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read: {exc}") from None


@dataclass(frozen=True)
class MatchConfig:
    tolerance_rupees: float = 1.0  # per amount head
    tolerance_percent: float | None = None  # optional: the larger of the two tolerances applies
    date_window_days: int = 10  # candidates considered for fuzzy pairing
    similarity_threshold: float = 0.8  # document-number similarity for a probable pair
    cross_year: bool = True  # allow pairs across financial years (30 March booked on 2 April)
    cross_period: bool = True  # allow pairs across tax periods
    pan_pass: bool = True  # second pass at PAN level (same PAN, another GSTIN)
    other_supplier_pass: bool = True  # the very document booked under another supplier (wrong ledger)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "config") -> MatchConfig:
        names = {f.name: f for f in dataclasses.fields(cls)}
        unknown = set(data) - names.keys()
        if unknown:
            raise ConfigError(f"{source}: unknown setting(s) {sorted(unknown)}; known: {sorted(names)}")
        values: dict[str, Any] = {}
        for key, value in data.items():
            default = getattr(cls(), key)
            if isinstance(default, bool) and not isinstance(value, bool):
                raise ConfigError(f"{source}: {key} must be true or false, not {value!r}")
            if key.startswith("tolerance") or key == "similarity_threshold":
                if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0):
                    raise ConfigError(f"{source}: {key} must be a number >= 0, not {value!r}")
            if key == "date_window_days" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ConfigError(f"{source}: date_window_days must be a whole number >= 0, not {value!r}")
            if key == "similarity_threshold" and value > 1:
                raise ConfigError(f"{source}: similarity_threshold must lie between 0 and 1")
            values[key] = float(value) if isinstance(value, int) and isinstance(default, float) else value
        return cls(**values)

    @classmethod
    def load(cls, path: Path) -> MatchConfig:
        data = read_settings(path)
        # settings under [match]; a file of bare settings is read as [match] too
        table = data["match"] if "match" in data else {k: v for k, v in data.items() if k not in SETTINGS_TABLES}
        return cls.from_dict(table, path.name)

    @staticmethod
    def recommend_table(path: Path) -> dict[str, Any]:
        """The settings file's ``[recommend]`` table (rule name -> action), checked against the
        rules; empty when the file has none."""
        from imsrecon.recommend import rules_from_config

        data = read_settings(path)
        table = data.get("recommend", {})
        rules_from_config({"recommend": table}, source=path.name)  # raises ConfigError if wrong
        return dict(table)

    @staticmethod
    def decisions_table(path: Path) -> dict[str, Any]:
        """The settings file's ``[decisions]`` table, checked: ``apply_suggestions`` (true: the
        suggestions learned from earlier decisions are applied at each reconcile without asking;
        default false)."""
        table = read_settings(path).get("decisions", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path.name}: [decisions] must be a table")
        unknown = set(table) - set(DECISION_SETTINGS)
        if unknown:
            raise ConfigError(f"{path.name}: unknown [decisions] setting(s) {sorted(unknown)}; known: {DECISION_SETTINGS}")
        if not isinstance(table.get("apply_suggestions", False), bool):
            raise ConfigError(f"{path.name}: [decisions] apply_suggestions must be true or false")
        return dict(table)

    def tolerance_for(self, amount: float) -> float:
        pct = abs(amount) * self.tolerance_percent / 100 if self.tolerance_percent else 0.0
        return max(self.tolerance_rupees, pct)


@dataclass(frozen=True)
class FilingConfig:
    """The ``[filing]`` table: how often each recipient files GSTR-3B, ``monthly`` or ``quarterly``
    (QRMP). It decides how long a specified record (a credit note) may be kept pending (domain doc
    §4): ``default`` for every recipient, a GSTIN key for one recipient::

        [filing]
        default = "monthly"
        "27AAPFU0939F1ZV" = "quarterly"
    """

    default: str = MONTHLY
    by_gstin: Mapping[str, str] = field(default_factory=dict)

    def frequency(self, gstin: str | None) -> str:
        return self.by_gstin.get((gstin or "").strip().upper(), self.default)

    def to_dict(self) -> dict[str, str]:
        return {"default": self.default, **self.by_gstin}

    @classmethod
    def from_dict(cls, data: Any, source: str = "config") -> FilingConfig:
        if not isinstance(data, Mapping):
            raise ConfigError(f'{source}: [filing] must be a table: default = "monthly" and GSTIN = "quarterly"')
        values: dict[str, str] = {}
        for key, value in data.items():
            frequency = FREQUENCY_SPELLINGS.get(value.strip().lower()) if isinstance(value, str) else None
            if frequency is None:
                raise ConfigError(f'{source}: [filing] {key} must be "monthly" or "quarterly", not {value!r}')
            name = str(key).strip().upper()
            if name != "DEFAULT":
                problem = gstin_problem(name)
                if problem is not None:
                    raise ConfigError(f"{source}: [filing] {key!r} is neither 'default' nor a GSTIN: {problem}")
            values["default" if name == "DEFAULT" else name] = frequency
        default = values.pop("default", MONTHLY)
        return cls(default, values)

    @classmethod
    def load(cls, path: Path) -> FilingConfig:
        """The settings file's ``[filing]`` table, checked; monthly for all when it has none."""
        return cls.from_dict(read_settings(path).get("filing", {}), path.name)
