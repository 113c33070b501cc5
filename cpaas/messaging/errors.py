"""Error codes a message can end with, in Twilio's numbering, so SDK users see familiar codes.

Which failure maps to which code is listed in docs/messaging.md.
"""
INVALID_TO = 21211            # 'To' is not a valid phone number
UNSUBSCRIBED = 21610          # the recipient replied STOP / is blocked
NOT_SMS_REACHABLE = 21612     # 'To' cannot be reached by SMS
NOT_MOBILE = 21614            # 'To' is not a mobile number
QUEUE_OVERFLOW = 30001        # the gateway is busy (HTTP 429/503); retried
UNREACHABLE_HANDSET = 30003   # the carrier could not deliver to the handset
UNKNOWN_HANDSET = 30005       # the handset does not exist
LANDLINE = 30006              # landline or unreachable carrier
CARRIER_REJECTED = 30007      # the gateway/carrier refused the message (blacklist, SMSC reject)
UNKNOWN_ERROR = 30008         # anything else: gateway unreachable, timeouts, unexpected answers
