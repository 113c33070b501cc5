"""A FreeSWITCH tree rendered once from sample settings with three trunks in different number formats."""
from pathlib import Path

import pytest

from cpaas.config.freeswitch import load_freeswitch_settings, render

ROOT = Path(__file__).resolve().parents[2]

SAMPLE_ENV = {
    "CONTROLLER_ADVERTISE": "controller:8084",
    "FREESWITCH_NODES": "esl://:s3cret&<pw>@freeswitch:8021#fs1",
    "FREESWITCH_ESL_LISTEN": "0.0.0.0:8021",
    "FREESWITCH_ESL_ACL": "172.28.0.0/16 127.0.0.1",
    "FREESWITCH_MAX_SESSIONS": "400",
    "FREESWITCH_SESSIONS_PER_SECOND": "25",
    "RTP_PORT_RANGE": "20000-20999",
    "SIP_EXTERNAL_IP": "198.51.100.200",
    "SIP_EXTERNAL_ADVERTISED_PORT": "5099",
    "SIP_DISPATCHER_CIDRS": "172.28.0.10",
    "SIP_TRUNKS": "uk us intl",
    # A UK carrier that sends national numbers (07700…) and registers
    "SIP_TRUNK_UK_PROXY": "sip.uk-carrier.example",
    "SIP_TRUNK_UK_USERNAME": "acme",
    "SIP_TRUNK_UK_PASSWORD": "pa\"ss<&>word",
    "SIP_TRUNK_UK_ACL": "203.0.113.0/24",
    "SIP_TRUNK_UK_COUNTRY": "GB",
    "SIP_TRUNK_UK_NUMBER_FORMAT": "national",
    "SIP_TRUNK_UK_ROUTES": "+44",
    # A US carrier on IP authentication, national numbers, tech prefix on outbound
    "SIP_TRUNK_US_PROXY": "198.51.100.7:5060",
    "SIP_TRUNK_US_COUNTRY": "US",
    "SIP_TRUNK_US_NUMBER_FORMAT": "national",
    "SIP_TRUNK_US_PREFIX": "1234#",
    "SIP_TRUNK_US_TRANSPORT": "tcp",
    "SIP_TRUNK_US_ROUTES": "+1",
    # An international wholesale carrier: digits with country code, no plus; the fallback route
    "SIP_TRUNK_INTL_PROXY": "192.0.2.50",
    "SIP_TRUNK_INTL_NUMBER_FORMAT": "international",
    "SIP_DEVICES": "alice",
    "SIP_DEVICE_ALICE_PASSWORD": "correct horse",
}


@pytest.fixture(scope="session")
def sample_settings():
    return load_freeswitch_settings(SAMPLE_ENV, dotenv=None)


@pytest.fixture(scope="session")
def rendered(sample_settings, tmp_path_factory):
    out = tmp_path_factory.mktemp("freeswitch")
    render(sample_settings, out, ROOT)
    return out
