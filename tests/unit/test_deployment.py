"""Deployment files agree with the code and with each other: Dockerfile, docker-compose.yml (against the Compose
Specification schema), the hub CLI, the Prometheus configurations and alert rules (also with promtool), the Grafana
provisioning and dashboard, and the metric list in monitoring/metrics.md."""

from __future__ import annotations

import importlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.compose_spec import ComposeSpecUnavailable, load_compose_spec

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE_FILE = ROOT / "docker-compose.yml"
MONITORING = ROOT / "monitoring"
PROMETHEUS_DIR = MONITORING / "prometheus"
PROMETHEUS_CONFIGS = {
    "compose": PROMETHEUS_DIR / "prometheus.yml",
    "local": PROMETHEUS_DIR / "prometheus.local.yml",
}
ALERTS_FILE = PROMETHEUS_DIR / "alerts.yml"
GRAFANA_DIR = MONITORING / "grafana"
DATASOURCES_FILE = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDER_FILE = GRAFANA_DIR / "provisioning" / "dashboards" / "hub.yml"
DASHBOARD_FILE = GRAFANA_DIR / "dashboards" / "hub-overview.json"
METRICS_DOC = MONITORING / "metrics.md"

LATENCY_TARGET_SECONDS = 5  # the hub's promise: exchanges within 5 s


# ---------------------------------------------------------------------------------------------------------------
# Reading the files


def _load_yaml(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


COMPOSE: dict[str, Any] = _load_yaml(COMPOSE_FILE)
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    result = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        result.append((instruction.upper(), arguments.strip()))
    return result


def _image_entrypoint() -> list[str]:
    entrypoints = [args for instruction, args in _dockerfile_instructions() if instruction == "ENTRYPOINT"]
    assert entrypoints, "the Dockerfile has no ENTRYPOINT"
    entrypoint = json.loads(entrypoints[-1])  # exec form only: a shell-form entrypoint would swallow `command`
    assert isinstance(entrypoint, list), "ENTRYPOINT must be in exec (JSON) form"
    return entrypoint


def _hub_image() -> str:
    return str(COMPOSE["x-hub-common"]["image"])


def _hub_services() -> dict[str, dict[str, Any]]:
    """The services running the hub image (built from this repository's Dockerfile)."""
    return {name: svc for name, svc in SERVICES.items() if "build" in svc or svc.get("image") == _hub_image()}


def _argv(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def _service_argv(service: dict[str, Any]) -> list[str]:
    entrypoint = _argv(service["entrypoint"]) if "entrypoint" in service else _image_entrypoint()
    return entrypoint + _argv(service.get("command"))


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def _metrics_port(service: dict[str, Any]) -> int | None:
    """The port a hub service serves /metrics on: the API's own port for `hub api`, HUB_METRICS_PORT otherwise."""
    env = _environment(service)
    argv = _service_argv(service)
    if argv[1:2] == ["api"]:
        return int(env["HUB_API_PORT"])
    if "HUB_METRICS_PORT" in env:
        return int(env["HUB_METRICS_PORT"])
    return None


def _long_running_hub_services() -> dict[str, int]:
    """Hub services that run until stopped, with their metrics port."""
    result = {}
    for name, service in _hub_services().items():
        if str(service.get("restart", "no")) == "no":
            continue
        port = _metrics_port(service)
        assert port is not None, f"service {name} runs a hub process but sets no HUB_METRICS_PORT"
        result[name] = port
    return result


# ---------------------------------------------------------------------------------------------------------------
# PromQL and the documented metrics


PROMQL_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "bool",
    "offset",
    "inf",
    "nan",
    "start",
    "end",
}
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def promql_metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (functions, keywords, labels, durations and Grafana variables left out)."""
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', expr)
    text = re.sub(r"'(?:\\.|[^'\\])*'", "''", text)
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # range and subquery selectors
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{[^}]*\}|\$\w+", " ", text)  # Grafana variables: $__rate_interval, ${group}
    names = set()
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        word = match.group()
        if text[match.end() :].lstrip().startswith("(") or word.lower() in PROMQL_KEYWORDS:
            continue
        names.add(word)
    return names


def documented_metrics() -> dict[str, dict[str, Any]]:
    """name -> {"type", "labels"} from the tables of monitoring/metrics.md."""
    metrics: dict[str, dict[str, Any]] = {}
    for line in METRICS_DOC.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 5:
            continue
        name = cells[0].strip("`")
        kind = cells[1].lower()
        if not re.fullmatch(r"[A-Za-z_:][A-Za-z0-9_:]*", name) or kind not in {"counter", "gauge", "histogram"}:
            continue
        assert name not in metrics, f"{name} is documented twice in {METRICS_DOC.name}"
        metrics[name] = {"type": kind, "labels": set(re.findall(r"`(\w+)`", cells[2]))}
    return metrics


def undocumented(names: set[str], documented: dict[str, dict[str, Any]]) -> set[str]:
    missing = set()
    for name in names:
        if name in documented:
            continue
        base = next((name[: -len(s)] for s in HISTOGRAM_SUFFIXES if name.endswith(s)), None)
        if base is not None and documented.get(base, {}).get("type") == "histogram":
            continue
        missing.add(name)
    return missing


def test_promql_metric_names_parser() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (flow, le) (rate(hub_end_to_end_latency_seconds_bucket{flow=~"$flow"}'
        '[$__rate_interval]))) > 5 and on(job) up{job="a b"} offset 5m or sum(x_total) without (instance) * 1e3'
    )
    assert promql_metric_names(expr) == {"hub_end_to_end_latency_seconds_bucket", "up", "x_total"}


# ---------------------------------------------------------------------------------------------------------------
# Dockerfile


def test_dockerfile_builds_a_non_root_hub_image_from_pyproject() -> None:
    instructions = _dockerfile_instructions()
    stages = [args.split()[0] for instruction, args in instructions if instruction == "FROM"]
    assert stages, "no FROM in the Dockerfile"
    assert all(stage == "python:3.11-slim" for stage in stages), f"base images: {stages}"

    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users, "the image must not run as root: no USER instruction"
    assert users[-1].split(":")[0] not in {"root", "0"}, f"final USER is {users[-1]}"

    runs = " ".join(args for instruction, args in instructions if instruction == "RUN")
    assert re.search(r"pip install (?:\S+ )*\.(?:\s|$)", runs), "the image must `pip install .` the project"
    assert _image_entrypoint() == ["hub"]

    copies = [args.split() for instruction, args in instructions if instruction == "COPY"]
    copied = {re.sub(r"\[(\w)\]", r"\1", part).rstrip("/") for words in copies for part in words[:-1]}
    assert "pyproject.toml" in copied
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = {pattern.rstrip("*") for pattern in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages <= copied, f"pyproject packages the Dockerfile does not copy: {sorted(packages - copied)}"
    # Event schemas are data outside the packages: copied and pointed to by HUB_SCHEMAS_DIR.
    assert "schemas" in copied
    env = " ".join(args for instruction, args in instructions if instruction == "ENV")
    assert "HUB_SCHEMAS_DIR=" in env


# ---------------------------------------------------------------------------------------------------------------
# docker-compose.yml


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    try:
        spec = load_compose_spec()
    except ComposeSpecUnavailable as error:
        pytest.fail(str(error), pytrace=False)
    errors = sorted(spec.validator().iter_errors(COMPOSE), key=lambda e: list(e.absolute_path))
    report = "\n".join(f"  {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors)
    assert not errors, f"docker-compose.yml is not valid against the Compose Specification ({spec.source}):\n{report}"


def test_compose_services_and_start_order() -> None:
    expected = {
        "kafka",
        "postgres",
        "migrate",
        "topics",
        "api",
        "relay",
        "worker",
        "monitor",
        "rules",
        "auth-platform-share",
        "provincial-poll",
        "prometheus",
        "grafana",
    }
    assert expected <= set(SERVICES), f"missing services: {sorted(expected - set(SERVICES))}"
    assert set(_hub_services()) == {
        "migrate",
        "topics",
        "api",
        "relay",
        "worker",
        "monitor",
        "rules",
        "auth-platform-share",
        "provincial-poll",
    }

    kafka = SERVICES["kafka"]
    kafka_env = _environment(kafka)
    assert kafka["image"] == "apache/kafka:4.1.0"
    assert kafka_env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert set(kafka_env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "PLAINTEXT://kafka:9092" in kafka_env["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert any(volume.endswith(":" + kafka_env["KAFKA_LOG_DIRS"]) for volume in kafka["volumes"])

    postgres = SERVICES["postgres"]
    postgres_env = _environment(postgres)
    assert postgres["image"] == "postgres:15"
    assert (postgres_env["POSTGRES_DB"], postgres_env["POSTGRES_USER"]) == ("retiree_hub", "hub")
    assert re.fullmatch(r"\$\{HUB_PG_PASSWORD:\?[^}]+\}", postgres_env["POSTGRES_PASSWORD"])
    assert "pg_isready" in " ".join(_argv(postgres["healthcheck"]["test"]))
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in postgres["volumes"])

    named_volumes = set(COMPOSE.get("volumes") or {})
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0] if isinstance(volume, str) else volume.get("source", "")
            if source and not source.startswith((".", "/")):
                assert source in named_volumes, f"service {name} uses undeclared volume {source}"
            if source.startswith("."):
                assert (ROOT / source).exists(), f"service {name} mounts {source}, which does not exist"

    # Dependencies: healthy servers -> migrate -> topics -> long-running hub processes.
    for name, service in SERVICES.items():
        depends_on = service.get("depends_on") or {}
        for dependency in depends_on:
            assert dependency in SERVICES, f"{name} depends on unknown service {dependency}"
            waits_for = depends_on[dependency]["condition"] if isinstance(depends_on, dict) else "service_started"
            if waits_for == "service_healthy":
                assert "healthcheck" in SERVICES[dependency], f"{name} waits for {dependency} healthy: no healthcheck"
            if waits_for == "service_completed_successfully":
                assert str(SERVICES[dependency].get("restart", "no")) == "no", f"{dependency} is not a one-shot"

    def condition(service: str, dependency: str) -> str | None:
        depends_on = SERVICES[service].get("depends_on") or {}
        return depends_on.get(dependency, {}).get("condition") if isinstance(depends_on, dict) else None

    assert _service_argv(SERVICES["migrate"])[1:] == ["db", "upgrade"]
    assert _service_argv(SERVICES["topics"])[1:] == ["topics", "create"]
    assert condition("migrate", "postgres") == "service_healthy"
    assert condition("topics", "kafka") == "service_healthy"
    assert condition("topics", "migrate") == "service_completed_successfully"
    processes = _long_running_hub_services()
    assert {name: _service_argv(SERVICES[name])[1:2] for name in processes} == {
        "api": ["api"],
        "relay": ["relay"],
        "worker": ["worker"],
        "monitor": ["monitor"],
        "rules": ["rules"],
        "auth-platform-share": ["auth-platform"],
        "provincial-poll": ["provincial"],
    }
    assert processes == {
        "api": 8000,
        "relay": 9101,
        "worker": 9102,
        "monitor": 9103,
        "rules": 9104,
        "auth-platform-share": 9105,
        "provincial-poll": 9106,
    }
    for name in processes:
        assert condition(name, "topics") == "service_completed_successfully", name
        assert condition(name, "kafka") == "service_healthy", name
        assert condition(name, "postgres") == "service_healthy", name
    assert any(port.endswith(":8000") for port in SERVICES["api"].get("ports", [])), "the API's port is published"


def test_compose_hub_environment_uses_real_settings() -> None:
    from hub.settings import Settings

    fields = set(Settings.model_fields)
    for name, service in _hub_services().items():
        env = _environment(service)
        for key in env:
            assert key.startswith("HUB_"), f"{name}: {key} is not a HUB_ setting"
            assert key.removeprefix("HUB_").lower() in fields, f"{name}: {key} is no field of hub.settings.Settings"
        assert env["HUB_ENVIRONMENT"] == "production", name
        assert env["HUB_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092", name
        assert re.fullmatch(
            r"postgresql\+psycopg://hub:\$\{HUB_PG_PASSWORD:\?[^}]+\}@postgres:5432/retiree_hub",
            env["HUB_DATABASE_URL"],
        ), name
        # production refuses the development secret: it must come from the operator's environment
        assert re.fullmatch(r"\$\{HUB_SECRET_KEY:\?[^}]+\}", env["HUB_SECRET_KEY"]), name
        assert env["HUB_API_PORT"] == "8000", name


# ---------------------------------------------------------------------------------------------------------------
# The hub CLI


def _cli_errors() -> tuple[type[Exception], ...]:
    """Usage errors of the CLI framework: Typer >= 0.28 carries its own copy of Click's core, older ones use Click."""
    errors: list[type[Exception]] = []
    for module_name in ("typer._click", "click"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        errors.append(module.ClickException)
    return tuple(errors)


def _is_group(command: Any) -> bool:
    return callable(getattr(command, "list_commands", None)) and callable(getattr(command, "get_command", None))


def _resolve_cli(argv: list[str]) -> str:
    """Resolve ``hub <group> <command> [options]`` in the real Typer app; fail with what exists instead."""
    import typer.main

    from app.cli import app

    assert argv and argv[0] == "hub", f"not a hub command: {argv}"
    command: Any = typer.main.get_command(app)
    assert _is_group(command), f"`hub` is a single command ({type(command).__name__}), not a group of subcommands"
    path = ["hub"]
    rest = list(argv[1:])
    while _is_group(command):
        context = command.context_class(command, info_name=" ".join(path))
        available = command.list_commands(context)
        if not rest or rest[0].startswith("-"):
            pytest.fail(f"`{' '.join(argv)}`: `{' '.join(path)}` needs a subcommand, one of {available}")
        name = rest.pop(0)
        subcommand = command.get_command(context, name)
        if subcommand is None:
            pytest.fail(f"`{' '.join(argv)}`: `{' '.join(path)}` has no subcommand {name!r}; it has {available}")
        command = subcommand
        path.append(name)
    try:
        command.make_context(" ".join(path), rest)  # parses the options and arguments, runs nothing
    except _cli_errors() as error:
        pytest.fail(f"`{' '.join(argv)}`: {error}")
    return " ".join(path)


def test_cli_resolution_rejects_what_the_cli_lacks() -> None:
    assert _resolve_cli(["hub", "worker", "--metrics-port", "9102"]) == "hub worker"
    for wrong in (["hub", "no-such-process"], ["hub", "db"], ["hub", "worker", "--no-such-option"]):
        with pytest.raises(pytest.fail.Exception):
            _resolve_cli(wrong)


@pytest.mark.parametrize("service", sorted(_hub_services()))
def test_compose_hub_command_exists_in_the_cli(service: str) -> None:
    argv = _service_argv(SERVICES[service])
    assert argv[0] == "hub", f"service {service} runs {argv}, not the hub CLI"
    _resolve_cli(argv)


def _documented_hub_commands() -> set[str]:
    """`hub ...` commands quoted in the alert annotations and the metric documentation (operators follow them)."""
    commands = set()
    for path in (ALERTS_FILE, METRICS_DOC):
        for quoted in re.findall(r"`(hub [^`]+)`", path.read_text(encoding="utf-8")):
            commands.add(re.sub(r"\{\{[^}]*\}\}", "x", quoted))
    return commands


@pytest.mark.parametrize("command", sorted(_documented_hub_commands()))
def test_documented_hub_command_exists_in_the_cli(command: str) -> None:
    _resolve_cli(shlex.split(command))


# ---------------------------------------------------------------------------------------------------------------
# Prometheus


def _single_target(job: dict[str, Any]) -> tuple[str, int]:
    targets = [target for static in job.get("static_configs", []) for target in static.get("targets", [])]
    assert len(targets) == 1, f"job {job['job_name']}: expected one static target, got {targets}"
    host, _, port = targets[0].rpartition(":")
    return host, int(port)


@pytest.mark.parametrize("deployment", sorted(PROMETHEUS_CONFIGS))
def test_prometheus_jobs_target_the_hub_processes(deployment: str) -> None:
    path = PROMETHEUS_CONFIGS[deployment]
    config = _load_yaml(path)
    assert config["global"]["scrape_interval"] == "5s"
    for rule_file in config["rule_files"]:
        assert not Path(rule_file).is_absolute(), "rule_files are resolved relative to the config file: keep it so"
        assert (path.parent / rule_file).resolve() == ALERTS_FILE

    processes = _long_running_hub_services()
    scraped = {}
    for job in config["scrape_configs"]:
        name = job["job_name"]
        host, port = _single_target(job)
        if name == "prometheus":  # Prometheus scraping itself
            assert (host, port) == ("localhost", 9090), name
            continue
        assert name.startswith("hub-"), f"{path.name}: job {name} is not a hub process (hub-<service>)"
        service = name.removeprefix("hub-")
        assert service in processes, f"{path.name}: job {name} has no long-running compose service {service!r}"
        expected_host = service if deployment == "compose" else "127.0.0.1"
        assert (host, port) == (expected_host, processes[service]), (
            f"{path.name}: job {name} scrapes {host}:{port}, compose runs {service} with metrics on "
            f"{expected_host}:{processes[service]}"
        )
        scraped[service] = port
    assert scraped == processes, f"{path.name} scrapes {sorted(scraped)}, compose runs {sorted(processes)}"


def test_compose_prometheus_mounts_its_config_and_rules() -> None:
    service = SERVICES["prometheus"]
    config_arg = next(arg for arg in _argv(service.get("command")) if arg.startswith("--config.file="))
    config_in_container = config_arg.split("=", 1)[1]
    mounts = {}
    for volume in service["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    assert (ROOT / mounts[config_in_container]).resolve() == PROMETHEUS_CONFIGS["compose"]
    for rule_file in _load_yaml(PROMETHEUS_CONFIGS["compose"])["rule_files"]:
        target = str(Path(config_in_container).parent / rule_file)
        assert target in mounts, f"{target} is not mounted into the prometheus container"
        assert (ROOT / mounts[target]).resolve() == ALERTS_FILE


def _rules() -> list[dict[str, Any]]:
    document = _load_yaml(ALERTS_FILE)
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_alert_rules_are_complete() -> None:
    rules = _rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), f"duplicate alert names: {names}"
    documented = documented_metrics()
    used: set[str] = set()
    for rule in rules:
        assert {"alert", "expr", "labels", "annotations"} <= set(rule), rule.get("alert")
        assert rule["labels"].get("severity") in {"warning", "critical"}, rule["alert"]
        assert rule["annotations"].get("summary") and rule["annotations"].get("description"), rule["alert"]
        metrics = promql_metric_names(rule["expr"])
        assert metrics, f"{rule['alert']}: no metric in {rule['expr']!r}"
        assert not undocumented(metrics, documented), f"{rule['alert']}: {undocumented(metrics, documented)}"
        used |= metrics
    assert {
        "hub_consumer_lag_seconds",
        "hub_dead_letters_total",
        "hub_parked_events",
        "hub_outbox_oldest_age_seconds",
        "hub_end_to_end_latency_seconds_bucket",
        "up",
    } <= used


def _promtool() -> str:
    promtool = shutil.which("promtool")
    if promtool is None:
        message = "promtool not found: install the Debian package prometheus (scripts/services.sh does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return promtool


def _run_promtool(*args: str, cwd: Path = ROOT) -> None:
    result = subprocess.run([_promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("deployment", sorted(PROMETHEUS_CONFIGS))
def test_promtool_checks_config(deployment: str) -> None:
    _run_promtool("check", "config", str(PROMETHEUS_CONFIGS[deployment]))


def test_promtool_checks_rules() -> None:
    _run_promtool("check", "rules", str(ALERTS_FILE))


def _series(name: str, labels: dict[str, str], values: str) -> dict[str, str]:
    selector = ",".join(f'{key}="{value}"' for key, value in labels.items())
    return {"series": f"{name}{{{selector}}}", "values": values}


def test_alert_rules_fire_when_they_should(tmp_path: Path) -> None:
    """promtool's rule unit tests on synthetic series (annotations left out: `check rules` covers their templates)."""
    promtool = _promtool()
    document = _load_yaml(ALERTS_FILE)
    for group in document["groups"]:
        for rule in group["rules"]:
            rule.pop("annotations", None)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")

    def bucket(flow: str, le: str, values: str) -> dict[str, str]:
        return _series("hub_end_to_end_latency_seconds_bucket", {"flow": flow, "le": le}, values)

    cases: list[dict[str, Any]] = [
        {  # consumer lag over 5 s for a minute; a group at 1 s stays quiet
            "input_series": [
                _series("hub_consumer_lag_seconds", {"group": "g1", "topic": "t", "partition": "0"}, "8x40"),
                _series("hub_consumer_lag_seconds", {"group": "g2", "topic": "t", "partition": "0"}, "1x40"),
            ],
            "alert_rule_test": [
                {"eval_time": "30s", "alertname": "HubConsumerLagHigh", "exp_alerts": []},
                {
                    "eval_time": "90s",
                    "alertname": "HubConsumerLagHigh",
                    "exp_alerts": [{"exp_labels": {"severity": "critical", "group": "g1", "topic": "t"}}],
                },
            ],
        },
        {  # a dead letter at 55 s: alert at once, quiet again once it leaves the 5-minute window
            "input_series": [_series("hub_dead_letters_total", {"group": "g", "topic": "t"}, "0x10 1x130")],
            "alert_rule_test": [
                {"eval_time": "30s", "alertname": "HubDeadLetters", "exp_alerts": []},
                {
                    "eval_time": "60s",
                    "alertname": "HubDeadLetters",
                    "exp_alerts": [{"exp_labels": {"severity": "warning", "group": "g", "topic": "t"}}],
                },
                {"eval_time": "10m", "alertname": "HubDeadLetters", "exp_alerts": []},
            ],
        },
        {  # parked events for over 10 minutes; a group with none stays quiet
            "input_series": [
                _series("hub_parked_events", {"group": "g", "status": "waiting"}, "1x200"),
                _series("hub_parked_events", {"group": "h", "status": "waiting"}, "0x200"),
            ],
            "alert_rule_test": [
                {"eval_time": "5m", "alertname": "HubParkedEvents", "exp_alerts": []},
                {
                    "eval_time": "11m",
                    "alertname": "HubParkedEvents",
                    "exp_alerts": [{"exp_labels": {"severity": "warning", "group": "g"}}],
                },
            ],
        },
        {  # an outbox row stuck: its age grows with time, over 30 s from 35 s on
            "input_series": [{"series": "hub_outbox_oldest_age_seconds", "values": "0+5x40"}],
            "alert_rule_test": [
                {"eval_time": "50s", "alertname": "HubOutboxStale", "exp_alerts": []},
                {
                    "eval_time": "100s",
                    "alertname": "HubOutboxStale",
                    "exp_alerts": [{"exp_labels": {"severity": "critical"}}],
                },
            ],
        },
        {  # flow "slow": every effect between 5 and 10 s; flow "fast": under 1 s
            "input_series": [
                bucket("slow", "1", "0x100"),
                bucket("slow", "5", "0x100"),
                bucket("slow", "10", "0+10x100"),
                bucket("slow", "+Inf", "0+10x100"),
                bucket("fast", "1", "0+10x100"),
                bucket("fast", "5", "0+10x100"),
                bucket("fast", "10", "0+10x100"),
                bucket("fast", "+Inf", "0+10x100"),
            ],
            "alert_rule_test": [
                {
                    "eval_time": "3m",
                    "alertname": "HubEndToEndLatencyHigh",
                    "exp_alerts": [{"exp_labels": {"severity": "critical", "flow": "slow"}}],
                },
            ],
        },
        {  # a hub process down for a minute; Prometheus's own target is not a hub process
            "input_series": [
                _series("up", {"job": "hub-worker", "instance": "127.0.0.1:9102"}, "0x30"),
                _series("up", {"job": "hub-api", "instance": "127.0.0.1:8000"}, "1x30"),
                _series("up", {"job": "prometheus", "instance": "localhost:9090"}, "0x30"),
            ],
            "alert_rule_test": [
                {"eval_time": "30s", "alertname": "HubTargetDown", "exp_alerts": []},
                {
                    "eval_time": "90s",
                    "alertname": "HubTargetDown",
                    "exp_alerts": [
                        {"exp_labels": {"severity": "critical", "job": "hub-worker", "instance": "127.0.0.1:9102"}}
                    ],
                },
            ],
        },
        {  # the provincial breaker open for over 2 minutes; the auth platform's closed
            "input_series": [
                _series("hub_circuit_breaker_state", {"breaker": "provincial"}, "1x40"),
                _series("hub_circuit_breaker_state", {"breaker": "auth-platform"}, "0x40"),
            ],
            "alert_rule_test": [
                {"eval_time": "1m", "alertname": "HubProvincialBreakerOpen", "exp_alerts": []},
                {
                    "eval_time": "150s",
                    "alertname": "HubProvincialBreakerOpen",
                    "exp_alerts": [{"exp_labels": {"severity": "critical", "breaker": "provincial"}}],
                },
            ],
        },
        {  # the death flow's read-to-acknowledged leg between 5 and 10 s
            "input_series": [
                _series(
                    "hub_provincial_exchange_seconds_bucket",
                    {"flow": "person.died", "leg": "read_to_acknowledged", "le": le},
                    values,
                )
                for le, values in (("5", "0x100"), ("10", "0+10x100"), ("+Inf", "0+10x100"))
            ],
            "alert_rule_test": [
                {
                    "eval_time": "3m",
                    "alertname": "HubProvincialExchangeSlow",
                    "exp_alerts": [
                        {
                            "exp_labels": {
                                "severity": "critical",
                                "flow": "person.died",
                                "leg": "read_to_acknowledged",
                            }
                        }
                    ],
                },
            ],
        },
        {  # two status differences found; no base-info difference
            "input_series": [
                _series("hub_provincial_reconciliation_differences", {"cause": "status_differs"}, "2x10"),
                _series("hub_provincial_reconciliation_differences", {"cause": "base_info_differs"}, "0x10"),
            ],
            "alert_rule_test": [
                {
                    "eval_time": "30s",
                    "alertname": "HubProvincialReconciliationDifferences",
                    "exp_alerts": [{"exp_labels": {"severity": "warning", "cause": "status_differs"}}],
                },
            ],
        },
        {  # the last reconciliation finished at time 0 (sampled hourly): stale from 30 hours on
            "interval": "1h",
            "input_series": [{"series": "hub_provincial_reconciliation_last_run_timestamp_seconds", "values": "0x40"}],
            "alert_rule_test": [
                {"eval_time": "29h", "alertname": "HubProvincialReconciliationStale", "exp_alerts": []},
                {
                    "eval_time": "31h",
                    "alertname": "HubProvincialReconciliationStale",
                    "exp_alerts": [{"exp_labels": {"severity": "warning"}}],
                },
            ],
        },
        {  # the brake holds a batch from minute 5 on (4.5, issue 14): the alert fires at once, quiet before
            "interval": "1m",
            "input_series": [_series("hub_suspension_batches_held", {}, "0x4 1x10")],
            "alert_rule_test": [
                {"eval_time": "3m", "alertname": "HubSuspensionBatchHeld", "exp_alerts": []},
                {
                    "eval_time": "6m",
                    "alertname": "HubSuspensionBatchHeld",
                    "exp_alerts": [{"exp_labels": {"severity": "warning"}}],
                },
            ],
        },
    ]
    tests = {
        "rule_files": ["alerts.yml"],
        "evaluation_interval": "5s",
        "tests": [{"interval": "5s", **case} for case in cases],
    }
    (tmp_path / "alerts_test.yml").write_text(yaml.safe_dump(tests), encoding="utf-8")
    result = subprocess.run(
        [promtool, "test", "rules", "alerts_test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, f"promtool test rules:\n{result.stdout}\n{result.stderr}"
    tested = {test["alertname"] for case in cases for test in case["alert_rule_test"]}
    assert tested == {rule["alert"] for rule in _rules()}, "every alert rule needs a case here"


# ---------------------------------------------------------------------------------------------------------------
# Grafana


def _dashboard() -> dict[str, Any]:
    dashboard: dict[str, Any] = json.loads(DASHBOARD_FILE.read_text(encoding="utf-8"))
    return dashboard


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    panels = []
    for panel in dashboard["panels"]:
        panels.append(panel)
        panels.extend(panel.get("panels", []))  # panels of collapsed rows
    return panels


def _dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, PromQL) of every panel target and every query variable."""
    queries = []
    for panel in _panels(dashboard):
        for target in panel.get("targets", []):
            queries.append((f"panel {panel['title']!r}", target["expr"]))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") != "query":
            continue
        query = variable["query"]["query"] if isinstance(variable["query"], dict) else variable["query"]
        label_values = re.fullmatch(r"\s*label_values\((.*),\s*\w+\)\s*", query)
        queries.append((f"variable {variable['name']!r}", label_values.group(1) if label_values else query))
    return queries


def test_grafana_dashboard_uses_documented_metrics() -> None:
    dashboard = _dashboard()
    documented = documented_metrics()
    queries = _dashboard_queries(dashboard)
    assert queries, "the dashboard has no queries"
    used: set[str] = set()
    for where, expr in queries:
        names = promql_metric_names(expr)
        assert names, f"{where}: no metric in {expr!r}"
        missing = undocumented(names, documented)
        assert not missing, f"{where}: {sorted(missing)} not documented in monitoring/metrics.md"
        used |= {re.sub(r"_(bucket|sum|count)$", "", name) if name not in documented else name for name in names}
    hub_metrics = {name for name in documented if name.startswith("hub_")}
    assert hub_metrics <= used, f"hub metrics the dashboard does not show: {sorted(hub_metrics - used)}"


def test_grafana_dashboard_layout_and_latency_target() -> None:
    dashboard = _dashboard()
    assert dashboard["uid"] and dashboard["title"]
    panels = _panels(dashboard)
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"panels {cells[(x, y)]!r} and {panel['title']!r} overlap"
                cells[(x, y)] = panel["title"]

    def shows(panel: dict[str, Any], metric: str) -> bool:
        return any(metric in promql_metric_names(t["expr"]) for t in panel.get("targets", []))

    def has_target_line(panel: dict[str, Any]) -> bool:
        defaults = panel["fieldConfig"]["defaults"]
        steps = [step.get("value") for step in defaults["thresholds"]["steps"]]
        return LATENCY_TARGET_SECONDS in steps and "line" in defaults["custom"]["thresholdsStyle"]["mode"]

    latency = [p for p in panels if p["type"] == "timeseries" and shows(p, "hub_end_to_end_latency_seconds_bucket")]
    assert len(latency) == 1, "one time series panel of the end-to-end latency"
    quantiles = {
        float(m) for t in latency[0]["targets"] for m in re.findall(r"histogram_quantile\(([\d.]+)", t["expr"])
    }
    assert quantiles == {0.5, 0.95, 0.99}
    assert has_target_line(latency[0]), "the end-to-end latency panel draws the 5-second target"
    lag = [p for p in panels if p["type"] == "timeseries" and shows(p, "hub_consumer_lag_seconds")]
    assert lag and all(has_target_line(p) for p in lag), "the lag (seconds) panel draws the 5-second target"


def test_grafana_provisioning_matches_compose_and_dashboard() -> None:
    datasources = _load_yaml(DATASOURCES_FILE)["datasources"]
    assert len(datasources) == 1
    datasource = datasources[0]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"  # the compose service and its port
    assert "prometheus" in SERVICES

    dashboard = _dashboard()
    for panel in _panels(dashboard):
        if panel["type"] == "row":
            continue
        refs = [panel["datasource"], *(target["datasource"] for target in panel.get("targets", []))]
        assert all(ref == {"type": "prometheus", "uid": datasource["uid"]} for ref in refs), panel["title"]

    providers = _load_yaml(DASHBOARD_PROVIDER_FILE)["providers"]
    assert len(providers) == 1 and providers[0]["type"] == "file"
    mounts = {}
    for volume in SERVICES["grafana"]["volumes"]:
        source, target = volume.split(":")[:2]
        mounts[target] = source
    provider_path = providers[0]["options"]["path"]
    assert provider_path in mounts, f"{provider_path} is not mounted into the grafana container"
    assert (ROOT / mounts[provider_path]).resolve() == DASHBOARD_FILE.parent
    assert (ROOT / mounts["/etc/grafana/provisioning"]).resolve() == GRAFANA_DIR / "provisioning"
    home = _environment(SERVICES["grafana"]).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH")
    if home:
        assert home == f"{provider_path}/{DASHBOARD_FILE.name}"


# ---------------------------------------------------------------------------------------------------------------
# monitoring/metrics.md against hub/metrics.py


def test_metrics_doc_matches_hub_metrics() -> None:
    from prometheus_client.metrics import MetricWrapperBase

    from hub import metrics as hub_metrics

    in_code = {}
    for value in vars(hub_metrics).values():
        if not isinstance(value, MetricWrapperBase):
            continue
        family = next(iter(value.describe()))
        name = family.name + "_total" if family.type == "counter" else family.name
        in_code[name] = {"type": family.type, "labels": set(value._labelnames)}
    assert in_code, "hub.metrics defines no metric"
    documented = {name: doc for name, doc in documented_metrics().items() if name.startswith("hub_")}
    assert documented == in_code, (
        "monitoring/metrics.md and hub/metrics.py disagree:\n"
        f"  only documented: {sorted(set(documented) - set(in_code))}\n"
        f"  only in code: {sorted(set(in_code) - set(documented))}\n"
        f"  differing: {sorted(n for n in set(documented) & set(in_code) if documented[n] != in_code[n])}"
    )
