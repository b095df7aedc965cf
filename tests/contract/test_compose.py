"""docker-compose.yml deploys what the code really has: its services, commands, settings and databases."""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from collections import Counter
from pathlib import Path

import pytest
import typer.main
import yaml
from pydantic import AliasChoices
from sqlalchemy.engine import make_url

from services import cli
from services.runner import SERVICES
from shared.config import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
INIT_SQL = ROOT / "deploy" / "postgres" / "init.sql"
JOBS = {"migrate": ["migrate"], "topics": ["topics", "ensure"]}
# ${NAME}, ${NAME:-default} and ${NAME-default}: Compose interpolation, resolved to the default.
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?::?-(?P<default>[^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict:
    """The compose file as Compose reads it (YAML anchors and merge keys resolved)."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def kesu_containers(compose: dict) -> dict[str, dict]:
    """Containers running the Kesu image, i.e. built from this repository."""
    return {name: spec for name, spec in compose["services"].items() if "build" in spec}


def service_containers(compose: dict) -> dict[str, dict]:
    """The long-running Kesu containers (every Kesu container but the one-shot jobs)."""
    return {name: spec for name, spec in kesu_containers(compose).items() if name not in JOBS}


def command_of(spec: dict) -> list[str]:
    """A container's command as an argument list, whichever form the file uses."""
    command = spec.get("command", [])
    return shlex.split(command) if isinstance(command, str) else [str(arg) for arg in command]


def environment_of(spec: dict) -> dict[str, str]:
    """A container's environment (map or KEY=VALUE list), interpolated with its defaults."""
    env = spec.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {name: INTERPOLATION.sub(lambda m: m["default"] or "", str(value)) for name, value in env.items()}


def env_names(settings: type[CommonSettings]) -> set[str]:
    """The environment variables a settings class reads: prefix + field name, or the field's aliases."""
    prefix = settings.model_config["env_prefix"]
    names: set[str] = set()
    for field_name, field in settings.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            names |= {choice.upper() for choice in alias.choices if isinstance(choice, str)}
        elif isinstance(alias, str):
            names.add(alias.upper())
        else:
            names.add(f"{prefix}{field_name}".upper())
    return names


def settings_classes(container: str) -> list[type[CommonSettings]]:
    """Whose settings a container reads: its service's, or every service's for the jobs."""
    if container in SERVICES:
        return [SERVICES[container].settings]
    return [entry.settings for entry in SERVICES.values()]


@pytest.fixture
def settings_from(monkeypatch):
    """Build a settings class from exactly a container's environment, not from this machine's."""

    def build(settings: type[CommonSettings], env: dict[str, str]) -> CommonSettings:
        for name in env_names(settings):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return settings()

    return build


def resolve_cli(args: list[str]) -> tuple[list[str], dict]:
    """Parse arguments with the real `kesu` CLI: the command path and its parameters.

    Fails on an unknown command, option or argument, as `kesu` itself would.
    """
    command = typer.main.get_command(cli.app)
    rest, path = list(args), []
    # Groups are told apart by their subcommands: Typer may ship its own copy of Click.
    while hasattr(command, "commands"):
        assert rest and rest[0] in command.commands, f"`kesu {' '.join(args)}`: no such command"
        path.append(rest.pop(0))
        command = command.commands[path[-1]]
    return path, command.make_context(path[-1], rest).params


def host_port_mappings(spec: dict) -> list[tuple[str, str]]:
    """(host port, container port) for each published port, short or long syntax."""
    mappings = []
    for port in spec.get("ports", []):
        if isinstance(port, dict):
            mappings.append((str(port.get("published", "")), str(port["target"])))
        else:
            *host, container = str(port).split(":")
            mappings.append((host[-1] if host else "", container.split("/")[0]))
    return mappings


def test_every_service_has_a_container_running_it(compose):
    containers = service_containers(compose)
    assert set(containers) == set(SERVICES)
    for name, spec in containers.items():
        assert command_of(spec) == ["run", name]
        path, params = resolve_cli(command_of(spec))
        assert path == ["run"] and params["service"] in SERVICES


def test_one_shot_jobs_run_the_migrate_and_topics_commands_once(compose):
    containers = kesu_containers(compose)
    for job, args in JOBS.items():
        assert command_of(containers[job]) == args
        path, _ = resolve_cli(args)
        assert path == args
        # A job that restarts would migrate and create topics in a loop, never "completing".
        assert containers[job].get("restart", "no") == "no"


def test_kesu_containers_set_only_variables_their_settings_read(compose):
    for name, spec in kesu_containers(compose).items():
        readable = set().union(*(env_names(cls) for cls in settings_classes(name)))
        # Only KESU_ names: a bare DATABASE_URL would also be read, through an alias.
        assert all(var.startswith("KESU_") for var in environment_of(spec)), name
        unknown = set(environment_of(spec)) - readable
        assert not unknown, f"{name} sets variables no settings field reads: {sorted(unknown)}"


def test_every_kesu_container_runs_on_kafka_and_postgresql(compose, settings_from):
    for name, spec in kesu_containers(compose).items():
        for cls in settings_classes(name):
            settings = settings_from(cls, environment_of(spec))
            assert settings.bus == "kafka", name
            if name != "topics":
                assert settings.resolved_database_url().startswith("postgresql+asyncpg://"), name


def test_migrate_job_migrates_the_database_each_service_uses(compose, settings_from):
    containers = kesu_containers(compose)
    urls = {}
    for name, spec in service_containers(compose).items():
        cls = SERVICES[name].settings
        urls[name] = settings_from(cls, environment_of(spec)).resolved_database_url()
        assert settings_from(cls, environment_of(containers["migrate"])).resolved_database_url() == urls[name]
    assert len(set(urls.values())) == len(urls), "services share a database"


def test_topics_job_creates_the_topics_the_services_use(compose, settings_from):
    def topology(cls, spec):
        settings = settings_from(cls, environment_of(spec))
        return settings.kafka_bootstrap_servers, settings.topic_prefix

    topics_job = kesu_containers(compose)["topics"]
    for name, spec in service_containers(compose).items():
        cls = SERVICES[name].settings
        assert topology(cls, spec) == topology(cls, topics_job), name


def test_every_database_named_in_a_url_is_created_by_init_sql(compose):
    created = set(re.findall(r'CREATE\s+DATABASE\s+"?(\w+)"?', INIT_SQL.read_text(), re.IGNORECASE))
    postgres_env = environment_of(compose["services"]["postgres"])
    for name, spec in kesu_containers(compose).items():
        for var, value in environment_of(spec).items():
            if not var.endswith("DATABASE_URL"):
                continue
            url = make_url(value)
            assert url.database in created, f"{name}: {var} names {url.database}, which init.sql does not create"
            assert (url.host, url.port) == ("postgres", 5432)
            assert (url.username, url.password) == (postgres_env["POSTGRES_USER"], postgres_env["POSTGRES_PASSWORD"])


def test_postgres_is_official_initialised_by_init_sql_and_kept_in_a_volume(compose):
    postgres = compose["services"]["postgres"]
    assert re.fullmatch(r"postgres:16(\.\d+)?(-\w+)?", postgres["image"])
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in postgres["volumes"]}
    init_mounts = [src for target, src in mounts.items() if target.startswith("/docker-entrypoint-initdb.d")]
    assert [(ROOT / src).resolve() for src in init_mounts] == [INIT_SQL]
    assert mounts["/var/lib/postgresql/data"] in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_kafka_is_the_official_image_in_kraft_mode(compose):
    kafka = compose["services"]["kafka"]
    image, _, tag = kafka["image"].partition(":")
    assert image == "apache/kafka" and re.fullmatch(r"[34]\.\d+\.\d+", tag), "pin an official 3.x/4.x tag"
    env = environment_of(kafka)
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@")
    assert not any("ZOOKEEPER" in var for var in env)
    # Topics come from `kesu topics ensure` with their partitions, never from a first publish.
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    check = " ".join(kafka["healthcheck"]["test"])
    assert re.search(r"/opt/kafka/bin/kafka-(broker-api-versions|topics)\.sh", check)


def test_kafka_advertises_the_addresses_containers_and_host_connect_to(compose, settings_from):
    env = environment_of(compose["services"]["kafka"])
    advertised = {address.split("://")[1] for address in env["KAFKA_ADVERTISED_LISTENERS"].split(",")}
    for name, spec in kesu_containers(compose).items():
        bootstrap = settings_from(settings_classes(name)[0], environment_of(spec)).kafka_bootstrap_servers
        assert set(bootstrap.split(",")) <= advertised, name
    host_listeners = {int(address.split(":")[1]) for address in advertised if address.startswith("localhost:")}
    published = {int(host) for host, target in host_port_mappings(compose["services"]["kafka"]) if host == target}
    assert host_listeners and host_listeners <= published


def test_services_start_after_migrations_topics_and_healthy_infrastructure(compose):
    for name, spec in service_containers(compose).items():
        conditions = {dep: rule["condition"] for dep, rule in spec["depends_on"].items()}
        assert conditions["migrate"] == conditions["topics"] == "service_completed_successfully", name
        assert conditions["kafka"] == conditions["postgres"] == "service_healthy", name
        assert spec["restart"] == "unless-stopped", name
    jobs = kesu_containers(compose)
    assert jobs["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert jobs["topics"]["depends_on"]["kafka"]["condition"] == "service_healthy"


def test_services_publish_and_health_check_the_port_they_listen_on(compose, settings_from):
    for name, spec in service_containers(compose).items():
        settings = settings_from(SERVICES[name].settings, environment_of(spec))
        # uvicorn on 127.0.0.1 would be unreachable through the published port.
        assert settings.host == "0.0.0.0", name
        assert [target for _, target in host_port_mappings(spec)] == [str(settings.port)], name
        assert f"127.0.0.1:{settings.port}/healthz" in " ".join(spec["healthcheck"]["test"]), name


def test_published_host_ports_do_not_collide(compose):
    host_ports = [host for spec in compose["services"].values() for host, _ in host_port_mappings(spec) if host]
    assert host_ports, "nothing is published"
    assert [port for port, count in Counter(host_ports).items() if count > 1] == []


def test_mailpit_catches_email_and_shows_it(compose):
    mailpit = compose["services"]["mailpit"]
    assert mailpit["image"].split(":")[0] == "axllent/mailpit"
    assert {target for _, target in host_port_mappings(mailpit)} == {"1025", "8025"}


def test_every_kesu_container_runs_one_image_built_from_the_dockerfile(compose):
    containers = kesu_containers(compose)
    assert {json.dumps(spec["build"], sort_keys=True) for spec in containers.values()} == {
        json.dumps(containers["migrate"]["build"], sort_keys=True)
    }
    assert len({spec.get("image") for spec in containers.values()}) == 1
    build = containers["migrate"]["build"]
    assert (ROOT / build["context"]).is_dir()
    assert (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).is_file()


def test_dockerfile_installs_kesu_without_test_extras_and_runs_it_unprivileged(compose):
    build = kesu_containers(compose)["migrate"]["build"]
    dockerfile = (ROOT / build["context"] / build.get("dockerfile", "Dockerfile")).read_text()
    instructions = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    assert re.match(r"FROM python:3\.11-slim\b", instructions[0])
    entrypoint = [line for line in instructions if line.startswith("ENTRYPOINT")]
    assert [json.loads(line.removeprefix("ENTRYPOINT")) for line in entrypoint] == [["kesu"]]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert "kesu" in scripts
    assert re.search(r"pip install \.(\s|$)", dockerfile), "install the project itself, no [test] extra"
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0", "0:0"}


def test_dockerignore_leaves_out_local_state_but_keeps_what_the_image_installs():
    patterns = [line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    assert {".venv", ".git", "kesu-data"} <= set(patterns)
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    needed = ["pyproject.toml", *(pattern.rstrip("*") for pattern in packages["include"])]
    excluded = [path for path in needed for pattern in patterns if fnmatch.fnmatch(path, pattern)]
    assert excluded == []


def test_commands_in_the_deploy_guide_exist(compose):
    guide = (ROOT / "docs" / "deploy.md").read_text()
    # `run` replaces the container's command (none given: the container's own runs);
    # `exec` bypasses the entrypoint, so it names kesu.
    runs = re.findall(r"docker compose run --rm (\S+)([^`\n]*)", guide)
    execs = re.findall(r"docker compose exec (\S+) kesu([^`\n]*)", guide)
    assert runs and execs, "the guide shows no kesu command to check"
    containers = kesu_containers(compose)
    for container, args in runs + execs:
        assert container in containers, f"the guide runs {container!r}, which is not a Kesu container"
        resolve_cli(shlex.split(args.split("#")[0]) or command_of(containers[container]))
