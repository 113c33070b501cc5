"""docker/compose.yml against the Compose Specification schema, and the stack it describes."""
import importlib.resources
import json
import re
import shutil
import subprocess

import jsonschema
import pytest
import yaml
from dotenv import dotenv_values

from cpaas.config import load_settings
from cpaas.config.freeswitch import load_freeswitch_settings, render
from cpaas.messaging.config import load_messaging_config
from tests.deploy.conftest import ROOT

COMPOSE = ROOT / "docker" / "compose.yml"
CORE_SERVICES = {"postgres", "redis", "minio", "kannel", "kannel-smsbox", "freeswitch", "fsconf", "migrate", "api",
                 "controller", "worker"}
CLUSTER_SERVICES = {"freeswitch2", "fsconf2", "controller2", "kamailio"}
ONE_SHOT = {"minio-init", "migrate", "fsconf", "fsconf2"}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def compose_schema():
    # check-jsonschema vendors the Compose Specification's own JSON schema (compose-spec.json).
    pytest.importorskip("check_jsonschema", reason="pip install check-jsonschema (ships compose-spec.json)")
    path = importlib.resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
    return json.loads(path.read_text())


def validate(schema, document):
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]


def test_compose_file_follows_the_compose_specification(compose, compose_schema):
    assert validate(compose_schema, compose) == []


def test_the_schema_check_catches_a_mistake(compose, compose_schema):
    broken = yaml.safe_load(COMPOSE.read_text())
    broken["services"]["api"]["healthcheck"]["intervall"] = "10s"
    broken["services"]["redis"]["ports"] = "6379"
    assert len(validate(compose_schema, broken)) >= 2


def test_the_stack_has_every_service_and_the_cluster_ones_only_in_the_cluster_profile(compose):
    services = compose["services"]
    assert CORE_SERVICES | CLUSTER_SERVICES <= set(services)
    for name, service in services.items():
        assert ("cluster" in service.get("profiles", [])) == (name in CLUSTER_SERVICES), name


def test_long_running_services_have_health_checks_and_data_lives_in_volumes(compose):
    services = compose["services"]
    for name, service in services.items():
        if name not in ONE_SHOT:
            assert "healthcheck" in service, f"{name} has no health check"
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    for name in ("freeswitch", "freeswitch2", "api", "controller", "worker"):
        assert "recordings:/var/lib/cpaas/recordings" in services[name]["volumes"], name
    assert {"pgdata", "recordings", "redisdata", "miniodata", "fsconf", "fsconf2"} <= set(compose["volumes"])


def test_freeswitch_runs_alpines_package_on_the_config_rendered_from_our_templates(compose):
    services = compose["services"]
    dockerfile = (ROOT / "docker/freeswitch/Dockerfile").read_text()
    assert "apk add --no-cache freeswitch freeswitch-flite" in dockerfile
    assert "RUN check-freeswitch-modules /usr/share/cpaas/modules.conf.xml /usr/lib/freeswitch/mod" in dockerfile
    for node, conf in (("freeswitch", "fsconf"), ("freeswitch2", "fsconf2")):
        service = services[node]
        assert service["build"]["dockerfile"] == "docker/freeswitch/Dockerfile"
        config_dir = service["command"][service["command"].index("-conf") + 1]
        assert f"{conf}:{config_dir}:ro" in service["volumes"]
        assert services[conf]["command"][:3] == ["python", "-m", "cpaas.config.freeswitch"]
        assert f"{conf}:{config_dir}" in services[conf]["volumes"]
        assert {"../freeswitch_conf:/app/freeswitch_conf:ro", "../dialplan:/app/dialplan:ro"} <= set(services[conf]["volumes"])
        assert service["depends_on"][conf]["condition"] == "service_completed_successfully"


def test_each_node_hands_calls_to_its_own_controller(compose):
    services = compose["services"]
    assert services["fsconf"]["environment"]["CONTROLLER_ADVERTISE"] == "controller:8084"
    assert services["fsconf2"]["environment"]["CONTROLLER_ADVERTISE"] == "controller2:8084"
    assert services["controller"]["environment"]["FREESWITCH_NODES"].endswith("@freeswitch:8021#fs1")
    assert services["controller2"]["environment"]["FREESWITCH_NODES"].endswith("@freeswitch2:8021#fs2")
    kamailio_ip = services["kamailio"]["networks"]["cpaas"]["ipv4_address"]
    for conf in ("fsconf", "fsconf2"):
        assert services[conf]["environment"]["SIP_DISPATCHER_CIDRS"] == kamailio_ip


def test_each_node_advertises_the_public_port_it_is_published_on(compose):
    services = compose["services"]
    for node, conf, default in (("freeswitch", "fsconf", "5080"), ("freeswitch2", "fsconf2", "5081")):
        environment = services[conf]["environment"]
        assert environment["SIP_EXTERNAL_PORT"] == "5080"
        advertised = environment["SIP_EXTERNAL_ADVERTISED_PORT"]
        published = [p for p in services[node]["ports"] if p.endswith(":5080/udp")]
        assert published == [f"{advertised}:5080/udp"] and advertised.endswith(f":-{default}}}")


def test_kamailio_listens_inside_on_the_port_it_is_published_on(compose):
    # Its Via advertises SIP_EXTERNAL_IP:SIP_INGRESS_PORT; the nodes answer to that port.
    kamailio = compose["services"]["kamailio"]
    assert kamailio["ports"] == ["${SIP_INGRESS_PORT:-5090}:${SIP_INGRESS_PORT:-5090}/udp",
                                 "${SIP_INGRESS_PORT:-5090}:${SIP_INGRESS_PORT:-5090}/tcp"]
    assert kamailio["environment"]["SIP_INGRESS_PORT"] == "${SIP_INGRESS_PORT:-5090}"
    entrypoint = (ROOT / "docker/kamailio/entrypoint.sh").read_text()
    assert '-A "SIP_PORT=$port"' in entrypoint and 'port="${SIP_INGRESS_PORT:-5060}"' in entrypoint


def test_the_dispatcher_list_points_at_the_cluster_nodes_external_profile(compose):
    lines = [l.split() for l in (ROOT / "docker/kamailio/dispatcher.list").read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    assert [(setid, uri) for setid, uri, *_ in lines] == [("1", "sip:freeswitch:5080"), ("1", "sip:freeswitch2:5080")]
    assert {"freeswitch", "freeswitch2"} <= set(compose["services"])


def test_the_example_env_renders_a_freeswitch_tree_for_the_compose_node(compose, tmp_path):
    env = {k: v for k, v in dotenv_values(ROOT / "docker/env.example").items() if v is not None}
    env.update({k: str(v) for k, v in compose["services"]["fsconf"]["environment"].items() if "${" not in str(v)})
    env["S3_BUCKET"] = "recordings"  # compose's default for ${S3_BUCKET:-recordings}
    env["FREESWITCH_NODES"] = f"esl://:{env['FREESWITCH_ESL_PASSWORD']}@freeswitch:8021#fs1"
    load_settings(env, dotenv=None)
    load_messaging_config(env)  # the Kannel gateway of the example matches docker/kannel/kannel.conf
    settings = load_freeswitch_settings(env, dotenv=None)
    render(settings, tmp_path, ROOT)
    assert settings.trunk("carrier").register and settings.controller == "controller:8084"
    assert (tmp_path / "dialplan/cpaas_inbound.xml").read_text().count("controller:8084 async full") == 1


def test_the_example_env_gives_the_product_and_kannel_the_same_kannel_credentials(compose):
    env = dotenv_values(ROOT / "docker/env.example")
    assert env["SMS_GATEWAY_KANNEL_USERNAME"] == env["KANNEL_SENDSMS_USERNAME"]
    assert env["SMS_GATEWAY_KANNEL_PASSWORD"] == env["KANNEL_SENDSMS_PASSWORD"]
    assert env["SMS_GATEWAY_KANNEL_CALLBACK_TOKEN"] == env["KANNEL_CALLBACK_TOKEN"]
    assert env["SMS_GATEWAY_KANNEL_URL"] == "http://kannel-smsbox:13013/cgi-bin/sendsms"
    assert "kannel-smsbox" in compose["services"]
    assert "sendsms-port = 13013" in (ROOT / "docker/kannel/kannel.conf").read_text()


def has_docker_compose():
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not has_docker_compose(), reason="no docker compose here; the schema test covers the syntax")
def test_docker_compose_accepts_the_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("POSTGRES_PASSWORD=x\nMINIO_ROOT_PASSWORD=xxxxxxxx\nFREESWITCH_ESL_PASSWORD=x\n")
    result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "--env-file", str(env), "--profile", "cluster",
                             "config", "--quiet"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_the_image_build_refuses_a_freeswitch_without_our_modules(tmp_path):
    conf = ROOT / "freeswitch_conf/autoload_configs/modules.conf.xml"
    check = ["sh", str(ROOT / "docker/freeswitch/check-modules.sh"), str(conf), str(tmp_path)]
    modules = re.findall(r'<load module="(\w+)"', conf.read_text())
    for module in modules:
        (tmp_path / f"{module}.so").touch()
    assert subprocess.run(check, capture_output=True, text=True, timeout=30).returncode == 0
    (tmp_path / "mod_flite.so").unlink()
    (tmp_path / "mod_http_cache.so").unlink()
    result = subprocess.run(check, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.split(":")[-1].split() == ["mod_http_cache", "mod_flite"]
