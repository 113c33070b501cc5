"""<Number url>, <Sip url>, <Client url> on the <Dial> side: the whisper, a document the callee hears
after answering and before being connected, while the caller keeps hearing it ring.

FreeSWITCH's answer confirmation does it. A leg with group_confirm_key=exec runs group_confirm_file
as an application once it answers, in a thread of its own, and wins the bridge only if it is still
up when that application returns; meanwhile the other legs go on ringing. The application is
`socket` to this controller, which runs the document on the callee's channel
(cpaas.voice.twiml.whisper): its end lets go of the socket and the callee is connected; a <Hangup>
ends that leg, and the dial carries on as if it had not been answered.
"""
from __future__ import annotations

from cpaas.models import Call

#: How long a whisper may run after the callee answered. Twilio sets no limit; one that outlasts
#: this counts as not answered.
WHISPER_SECONDS = 120


def leg_variables(settings) -> dict:
    """What a leg with a whisper carries: its confirmation is the controller's socket."""
    return {"cpaas_whisper": "true", "group_confirm_key": "exec",
            "group_confirm_file": f"socket {settings.controller_advertise} async full",
            "group_confirm_timeout": WHISPER_SECONDS}


def set_timers(variables: dict, endpoints, timeout: int) -> None:
    """The originate's own timer keeps running while a leg confirms, so it gets the whisper's time
    on top of the ringing; each leg still rings for `timeout` on its own timer (leg_timeout), which
    a confirming leg trades for group_confirm_timeout."""
    variables["originate_timeout"] = timeout + WHISPER_SECONDS
    for endpoint in endpoints:
        endpoint.variables["leg_timeout"] = timeout


def refused(session, call_sids: list[str]) -> bool:
    """Whether a callee answered and its whisper ended the leg (it was never connected)."""
    return any(call is not None and call.answer_time is not None
               for call in (session.get(Call, sid) for sid in call_sids))
