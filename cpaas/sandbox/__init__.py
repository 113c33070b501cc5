"""The sandbox switch: an Event Socket peer that behaves like FreeSWITCH 1.10 (see docs/sandbox.md).

It imports nothing of ours but `cpaas.config`, and shares no code with the ESL client in
`cpaas.switch`: it is a peer, like a real FreeSWITCH.
"""
