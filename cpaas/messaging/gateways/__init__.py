"""SMS gateways behind one interface (base.Gateway): sandbox, Kannel, generic HTTP."""
from cpaas.messaging.gateways.base import (DELIVERED, FAILED, SENT, UNDELIVERED, CallbackError, CallbackRequest,
                                           DeliveryReport, Gateway, InboundSms, OutboundSms, ScheduledReport,
                                           SendResult)
from cpaas.messaging.gateways.registry import GatewayRegistry, UnknownGateway

__all__ = ["SENT", "DELIVERED", "UNDELIVERED", "FAILED", "CallbackError", "CallbackRequest", "DeliveryReport",
           "Gateway", "InboundSms", "OutboundSms", "ScheduledReport", "SendResult", "GatewayRegistry",
           "UnknownGateway"]
