"""FreeSWITCH deployment settings and the renderer of the production FreeSWITCH tree.

The operator edits one `.env`: the product reads it with `cpaas.config.load_settings`, and this module reads
the deployment-only part of the same mapping (SIP trunks, ESL listener, RTP ports, NAT, session limits) and
renders `freeswitch_conf/` and `dialplan/` (Jinja2 templates, every value XML-escaped) into the directory
FreeSWITCH loads. Every malformed value stops with one `SettingsError` line that names its variable.

Trunks (`SIP_TRUNKS=name ...`, then `SIP_TRUNK_<NAME>_*`) are both a sofia gateway (how we call out) and an
ACL list (who may call in). The number rules live here too, so the dialplan (inbound normalisation) and the
voice engine (outbound endpoints, caller id) follow the same per-trunk format:

    fs = load_freeswitch_settings()
    trunk = fs.route("+447700900123")             # longest SIP_TRUNK_<NAME>_ROUTES prefix wins
    trunk.endpoint("+447700900123")               # 'sofia/gateway/carrier/07700900123'
    trunk.caller_id("+442071838750")              # what goes in origination_caller_id_number

Run `python -m cpaas.config.freeswitch --out DIR` (or scripts/render_freeswitch_conf) to render.

Modules: `model` (trunks, devices, the settings object), `numbers` (E.164 in and out, per trunk format),
`reading` (the environment, validated), `render` (templates to the FreeSWITCH tree), `__main__` (the command).
"""
from cpaas.config.freeswitch.model import Device, FreeSwitchSettings, NumberRule, Trunk
from cpaas.config.freeswitch.reading import load_freeswitch_settings
from cpaas.config.freeswitch.render import project_root, render

__all__ = ["Device", "FreeSwitchSettings", "NumberRule", "Trunk", "load_freeswitch_settings", "project_root",
           "render", "main"]


def main(argv: list[str] | None = None) -> int:
    from cpaas.config.freeswitch.__main__ import main as run

    return run(argv)
