"""Hang-up variables: the call detail record FreeSWITCH writes onto a channel as it ends."""
from __future__ import annotations

import time

from cpaas.sandbox import causes


def set_hangup_variables(channel) -> None:
    """What FreeSWITCH computes when a channel reaches CS_REPORTING (CHANNEL_HANGUP_COMPLETE
    carries them with every other variable): cause, stamps, epochs and the durations."""
    clock = channel.switch.clock
    t = channel.profile.times
    end_us = t["hangup"] or clock.now_us()
    start_us = channel.created_us
    answer_us = t["answered"]
    cause = channel.hangup_cause or "NORMAL_CLEARING"
    sv = channel.set_var
    sv("hangup_cause", cause)
    sv("hangup_cause_q850", causes.Q850.get(cause, 0))
    if channel.variables.get("sip_term_status") is None and channel.name.startswith("sofia/"):
        sv("sip_term_status", causes.SIP_STATUS.get(cause, 200 if answer_us else 503))
    sv("digits_dialed", "none")

    def stamp(us):
        return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us / 1e6))
    sv("start_stamp", stamp(start_us))
    sv("profile_start_stamp", stamp(start_us))
    if answer_us:
        sv("answer_stamp", stamp(answer_us))
    if t["progress"]:
        sv("progress_stamp", stamp(t["progress"]))
    if t["progress_media"]:
        sv("progress_media_stamp", stamp(t["progress_media"]))
    sv("end_stamp", stamp(end_us))
    for name, us in (("start", start_us), ("profile_start", start_us), ("answer", answer_us),
                     ("bridge", t["bridged"]), ("last_hold", 0)):
        sv(f"{name}_epoch", us // 1_000_000)
        sv(f"{name}_uepoch", us)
    sv("hold_accum_seconds", 0)
    sv("hold_accum_usec", 0)
    sv("hold_accum_ms", 0)
    for name in ("resurrect", "progress", "progress_media"):
        us = t.get(name, 0)
        sv(f"{name}_epoch", us // 1_000_000)
        sv(f"{name}_uepoch", us)
    sv("end_epoch", end_us // 1_000_000)
    sv("end_uepoch", end_us)
    if channel.variables.get("current_application"):
        sv("last_app", channel.variables["current_application"])
        if channel.variables.get("current_application_data"):
            sv("last_arg", channel.variables["current_application_data"])
    name = channel.profile.caller_id_name or ""
    sv("caller_id", f'"{name}" <{channel.profile.caller_id_number}>')
    total = end_us - start_us
    bill = end_us - answer_us if answer_us else 0
    answer_wait = answer_us - start_us if answer_us else 0
    progress = t["progress"] - start_us if t["progress"] else 0
    progress_media = t["progress_media"] - start_us if t["progress_media"] else 0
    spans = {"duration": total, "billsec": bill, "progresssec": progress, "answersec": answer_wait,
             "waitsec": answer_wait, "progress_mediasec": progress_media, "flow_billsec": total}
    for unit, divisor in (("sec", 1_000_000), ("msec", 1000), ("usec", 1)):
        for key, value in spans.items():
            base = key[:-3] if key.endswith("sec") else key
            if unit == "sec":
                out_key = key
            elif key == "duration":
                out_key = "mduration" if unit == "msec" else "uduration"
            else:
                out_key = base + unit
            sv(out_key, value // divisor)
    if channel.name.startswith("loopback/"):
        sv("is_loopback", 1)
